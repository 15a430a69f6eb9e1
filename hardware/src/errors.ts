export type ReaderErrorCode =
  /** The reader did not answer or answered nonsense. */
  | 'no_response'
  /** A card was seen but could not be read completely. */
  | 'read_failed'
  /** Input to a simulated reader was not a card identifier. */
  | 'bad_input'
  /** A QR code was read but is not a worker ID by the configured pattern. */
  | 'not_a_worker_id'
  /** The port or bus went away. */
  | 'disconnected';

export class ReaderError extends Error {
  override readonly name = 'ReaderError';
  readonly code: ReaderErrorCode;
  readonly reader: string;
  readonly context: Record<string, unknown>;

  constructor(code: ReaderErrorCode, reader: string, message: string, context: Record<string, unknown> = {}) {
    super(`${reader}: ${message}`);
    this.code = code;
    this.reader = reader;
    this.context = context;
  }
}

export function isReaderError(error: unknown): error is ReaderError {
  return error instanceof ReaderError;
}
