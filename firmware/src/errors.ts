export type StoreErrorCode = 'disk_full' | 'corrupt' | 'io' | 'busy' | 'unknown';

/** A failure of the terminal's SQLite store, classified so the terminal can say what is wrong. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly sqliteCode: string | undefined;

  constructor(code: StoreErrorCode, message: string, options: { cause?: unknown; sqliteCode?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.sqliteCode = options.sqliteCode;
  }
}

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

/** Wraps an error thrown by better-sqlite3 with what the terminal needs to know. */
export function toStoreError(error: unknown, doing: string): StoreError {
  if (error instanceof StoreError) return error;
  const sqliteCode = (error as { code?: unknown }).code;
  const code = typeof sqliteCode === 'string' ? sqliteCode : undefined;
  const kind: StoreErrorCode =
    code === 'SQLITE_FULL'
      ? 'disk_full'
      : code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB'
        ? 'corrupt'
        : code?.startsWith('SQLITE_IOERR')
          ? 'io'
          : code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
            ? 'busy'
            : 'unknown';
  const options: { cause: unknown; sqliteCode?: string } = { cause: error };
  if (code !== undefined) options.sqliteCode = code;
  return new StoreError(kind, `${doing}: ${(error as Error).message ?? String(error)}`, options);
}
