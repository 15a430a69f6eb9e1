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

/** A key already taken: SQLite's codes, and PostgreSQL's unique_violation. */
const TAKEN = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE', '23505']);
/** A reference to a row that is not there: SQLite's code, and PostgreSQL's foreign_key_violation. */
const DANGLING = new Set(['SQLITE_CONSTRAINT_FOREIGNKEY', '23503']);

/** Either engine's constraint failures as StoreErrors; anything else passes through. */
export function fromConstraint(error: unknown, what: string, field: string | null = null): unknown {
  const code = (error as { code?: string }).code ?? '';
  if (TAKEN.has(code)) return new StoreError('conflict', `${what} already exists`, field);
  if (DANGLING.has(code)) return new StoreError('invalid', `${what} refers to something that does not exist`, field);
  return error;
}
