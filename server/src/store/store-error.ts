/**
 * not_found: no such thing for this caller. conflict: it exists or is in use. invalid: the
 * request cannot be met. unavailable: a part it needs (the broker) is away; try again.
 */
export type StoreErrorCode = 'not_found' | 'conflict' | 'invalid' | 'forbidden' | 'unavailable';

/** A refusal from a repository, naming what was wrong; the HTTP API turns it into a problem response. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** The request field the refusal is about, when there is one. */
  readonly field: string | null;

  constructor(code: StoreErrorCode, message: string, field: string | null = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

/** SQLite constraint failures as StoreErrors; anything else passes through. */
export function fromSqlite(error: unknown, what: string, field: string | null = null): unknown {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StoreError('conflict', `${what} already exists`, field);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY')
    return new StoreError('invalid', `${what} refers to something that does not exist`, field);
  return error;
}
