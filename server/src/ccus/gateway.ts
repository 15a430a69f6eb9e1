import type { CcusSiteRegistry } from './site-registry.js';

/**
 * What CCUS must be told about one work record (就業履歴). The real standard API
 * (就業履歴データ登録標準API) is given only to certified vendors; any adapter for it
 * must accept this and answer as `CcusGateway` says.
 */
export interface CcusSubmission {
  /** Same key for every submission of the same worker, site and working day. */
  idempotencyKey: string;
  companyId: string;
  siteId: string;
  workerId: string;
  /** YYYY-MM-DD in the site's time zone. */
  workingDay: string;
  entryAt: string | null;
  exitAt: string | null;
  /** The day's trade (職種) and position (立場): work history without them does not count toward skill evaluation. */
  trade: string | null;
  position: string | null;
}

export interface CcusReceipt {
  receipt: string;
  /** False when CCUS already had this record (a repeat, accepted idempotently). */
  created: boolean;
}

/** transient: try again later. permanent: CCUS refused the record; a person must fix it. */
export type CcusErrorKind = 'transient' | 'permanent';

export class CcusError extends Error {
  override readonly name = 'CcusError';
  readonly kind: CcusErrorKind;
  readonly code: string;
  /** When CCUS asked us to wait (rate limit), in milliseconds. */
  readonly retryAfterMs: number | null;

  constructor(kind: CcusErrorKind, code: string, message: string, retryAfterMs: number | null = null) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isCcusError(error: unknown): error is CcusError {
  return error instanceof CcusError;
}

export interface CcusGateway {
  /** Resolves when CCUS holds the record; throws CcusError otherwise. */
  submit(submission: CcusSubmission): Promise<CcusReceipt>;
  /** Importing from and registering on CCUS's site rosters; absent where the adapter cannot (a file export). */
  readonly sites?: CcusSiteRegistry;
}
