/**
 * Remembers when each card was last seen, by monotonic time, so the same card again
 * within the window is "already recorded" rather than a new tap. Wall time is not
 * used: it may jump when the clock synchronises.
 */
export class Debouncer {
  readonly #windowMs: number;
  readonly #seen = new Map<string, number>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  isRepeat(key: string, monoMs: number): boolean {
    const last = this.#seen.get(key);
    return last !== undefined && monoMs - last < this.#windowMs;
  }

  remember(key: string, monoMs: number): void {
    this.#seen.set(key, monoMs);
    // Forget cards outside the window so the map stays as small as the gate is busy.
    if (this.#seen.size > 1024) {
      for (const [card, at] of this.#seen) if (monoMs - at >= this.#windowMs) this.#seen.delete(card);
    }
  }
}
