/**
 * At most `ratePerSecond` sends on average, with bursts up to `burst`: CCUS is a shared
 * national service and a backlog after an outage must not arrive as a flood.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(options: { ratePerSecond: number; burst?: number; now?: () => number }) {
    if (!(options.ratePerSecond > 0))
      throw new RangeError(`ratePerSecond must be above 0, not ${options.ratePerSecond}`);
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst ?? Math.max(1, Math.ceil(options.ratePerSecond));
    this.#now = options.now ?? Date.now;
    this.#tokens = this.#burst;
    this.#at = this.#now();
  }

  /** Milliseconds to wait before the next send may go; 0 takes a token now. */
  take(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }
}
