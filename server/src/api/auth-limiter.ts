/**
 * Counts failed sign-ins per client address in a sliding window; past the limit, the
 * address is turned away (even with a good token) until its oldest failure ages out.
 * Tokens are 32 random bytes, so this is not about guessing: it keeps a misconfigured
 * or hostile client from hammering the store.
 */
export class AuthLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: { max?: number; windowMs?: number; now?: () => number } = {}) {
    this.#max = options.max ?? 10;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until the address may try again, or 0 when it may now. */
  blockedFor(address: string): number {
    const recent = this.#recent(address);
    if (recent.length < this.#max) return 0;
    return Math.max(1, (recent[0] as number) + this.#windowMs - this.#now());
  }

  fail(address: string): void {
    const recent = this.#recent(address);
    recent.push(this.#now());
    this.#failures.set(address, recent);
    // Bounded memory under a flood of addresses: forget the oldest entries first.
    if (this.#failures.size > 10_000) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  #recent(address: string): number[] {
    const since = this.#now() - this.#windowMs;
    const recent = (this.#failures.get(address) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.#failures.delete(address);
    return recent;
  }
}
