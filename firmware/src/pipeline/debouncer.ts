/** A card seen again: the same tap repeated, a correction on the other reader, or a new tap. */
export type Seen = 'repeat' | 'correction' | 'new';

/**
 * Remembers when each card was last seen on each reader, by monotonic time. The same card
 * on the same reader within the window is "already recorded" rather than a new tap; on the
 * other reader of a two-reader gate it is a correction (the worker chose the wrong reader)
 * and is recorded. Wall time is not used: it may jump when the clock synchronises.
 */
export class Debouncer {
  readonly #windowMs: number;
  /** card → reader → when. */
  readonly #seen = new Map<string, Map<string, number>>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  check(card: string, reader: string, monoMs: number): Seen {
    const readers = this.#seen.get(card);
    if (readers === undefined) return 'new';
    const here = readers.get(reader);
    if (here !== undefined && monoMs - here < this.#windowMs) return 'repeat';
    for (const [other, at] of readers) if (other !== reader && monoMs - at < this.#windowMs) return 'correction';
    return 'new';
  }

  remember(card: string, reader: string, monoMs: number): void {
    let readers = this.#seen.get(card);
    if (readers === undefined) {
      readers = new Map();
      this.#seen.set(card, readers);
    }
    readers.set(reader, monoMs);
    // Forget cards outside the window so the map stays as small as the gate is busy.
    if (this.#seen.size > 1024) {
      for (const [key, byReader] of this.#seen) {
        for (const [name, at] of byReader) if (monoMs - at >= this.#windowMs) byReader.delete(name);
        if (byReader.size === 0) this.#seen.delete(key);
      }
    }
  }

  /** The card's tap on `reader` was not recorded: it may come again at once. */
  forget(card: string, reader: string): void {
    this.#seen.get(card)?.delete(reader);
  }
}
