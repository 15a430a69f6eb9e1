/** One sign-in attempt, as far as counting failures goes. */
export interface SignInAttempt {
  /** The client's address (see client-address.ts: behind a trusted proxy, the proxy's word). */
  address: string;
  /** The login tried; API tokens name no account. */
  account?: string;
  /**
   * A device this browser proved it signed in from before as this account (web/device-cookie.ts).
   * Its attempts count against that device alone, so a known user is not turned away for
   * what others did from the same address.
   */
  device?: string;
}

export interface SignInLimiterOptions {
  /** Failures from one address, over every account and API token, before it is turned away. */
  perAddress?: number;
  /** Failures for one account from one address, or from one known device. */
  perAccount?: number;
  windowMs?: number;
  now?: () => number;
}

/** Counters kept at most, per kind; the oldest are forgotten first under a flood of addresses. */
const MAX_KEYS = 20_000;

/**
 * Counts failed sign-ins, API tokens and dashboard passwords alike, in a sliding window:
 * - an address that failed `perAddress` times is turned away for new attempts, whatever the
 *   account (password spraying, token hammering: one budget across the API and the dashboard);
 * - an account that failed `perAccount` times from an address is turned away there only,
 *   so an attacker elsewhere cannot lock its owner out;
 * - a known device has a budget of its own and is never turned away for the address.
 * A right API token is never refused (tokens are 32 random bytes; there is nothing to guess);
 * callers check it before asking this limiter.
 */
export class SignInLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #perAddress: number;
  readonly #perAccount: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: SignInLimiterOptions = {}) {
    this.#perAddress = options.perAddress ?? 20;
    this.#perAccount = options.perAccount ?? 10;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until this attempt may be made, or 0 when it may be made now. */
  blockedFor(attempt: SignInAttempt): number {
    return Math.max(0, ...this.#budgets(attempt).map(([key, max]) => this.#wait(key, max)));
  }

  fail(attempt: SignInAttempt): void {
    for (const [key] of this.#budgets(attempt)) this.#count(key);
  }

  /** A right password: its own account's and device's failures are forgiven (never the address's). */
  succeeded(attempt: SignInAttempt): void {
    for (const [key] of this.#budgets(attempt)) if (!key.startsWith('address ')) this.#failures.delete(key);
  }

  #budgets(attempt: SignInAttempt): [string, number][] {
    if (attempt.account !== undefined && attempt.device !== undefined) {
      return [[`device ${attempt.device} ${attempt.account}`, this.#perAccount]];
    }
    const budgets: [string, number][] = [[`address ${attempt.address}`, this.#perAddress]];
    if (attempt.account !== undefined) {
      budgets.push([`account ${attempt.account} ${attempt.address}`, this.#perAccount]);
    }
    return budgets;
  }

  #wait(key: string, max: number): number {
    const recent = this.#recent(key);
    if (recent.length < max) return 0;
    return Math.max(1, (recent[recent.length - max] as number) + this.#windowMs - this.#now());
  }

  #count(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#now());
    // Only the newest failures matter for the wait; keep the list as short as the largest budget.
    if (recent.length > this.#perAddress + this.#perAccount) recent.shift();
    this.#failures.delete(key); // re-inserted last: Map order is then least recently failed first
    this.#failures.set(key, recent);
    if (this.#failures.size > MAX_KEYS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#windowMs;
    const recent = (this.#failures.get(key) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
