/** Why a message, topic or ID was refused. Stable: they travel in acks and logs. */
export type ProtocolErrorCode =
  | 'malformed_json'
  | 'too_large'
  | 'unsupported_version'
  | 'invalid_message'
  | 'invalid_topic'
  | 'invalid_id';

export interface ProtocolIssue {
  /** Path to the offending field, e.g. `taps[3].card.id`; empty for the whole message. */
  field: string;
  message: string;
}

export interface ProtocolErrorContext {
  field?: string;
  value?: unknown;
  expected?: string;
  issues?: ProtocolIssue[];
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly field: string | undefined;
  readonly value: unknown;
  readonly expected: string | undefined;
  readonly issues: ProtocolIssue[];

  constructor(code: ProtocolErrorCode, message: string, context: ProtocolErrorContext = {}) {
    super(message);
    this.code = code;
    this.field = context.field;
    this.value = context.value;
    this.expected = context.expected;
    this.issues = context.issues ?? (context.field === undefined ? [] : [{ field: context.field, message }]);
  }
}

export function isProtocolError(error: unknown): error is ProtocolError {
  return error instanceof ProtocolError;
}
