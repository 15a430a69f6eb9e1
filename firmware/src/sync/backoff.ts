/**
 * Exponential backoff with full jitter: a fleet of terminals coming back after an
 * outage spreads its reconnects instead of arriving all at once.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(baseMs: number, maxMs: number, random: () => number = Math.random) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
    this.#random = random;
  }

  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.max(this.#baseMs / 2, Math.floor(this.#random() * ceiling));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
