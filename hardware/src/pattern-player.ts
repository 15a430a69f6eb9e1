import type { OutputRole, Outputs } from './output.js';
import type { Pattern } from './patterns.js';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Plays named patterns on the outputs. A new pattern interrupts the one playing:
 * at the gate the newest tap's answer is the one that matters.
 */
export class PatternPlayer<Name extends string> {
  readonly #outputs: Outputs;
  readonly #patterns: Readonly<Record<Name, Pattern>>;
  readonly #timers: Timers;
  #timer: unknown = null;
  #finish: (() => void) | null = null;

  constructor(outputs: Outputs, patterns: Readonly<Record<Name, Pattern>>, timers: Timers = systemTimers) {
    this.#outputs = outputs;
    this.#patterns = patterns;
    this.#timers = timers;
  }

  /** Resolves when the pattern has finished or was interrupted; all outputs are then off. */
  play(name: Name): Promise<void> {
    const pattern = this.#patterns[name];
    if (pattern === undefined) throw new Error(`pattern player: no pattern named ${JSON.stringify(name)}`);
    this.stop();
    return new Promise((resolve) => {
      this.#finish = resolve;
      const step = (index: number): void => {
        const current = pattern[index];
        if (current === undefined) {
          this.stop();
          return;
        }
        this.#apply(current.on);
        this.#timer = this.#timers.setTimeout(() => step(index + 1), current.ms);
      };
      step(0);
    });
  }

  /** Switches everything off and ends the pattern playing, if any. */
  stop(): void {
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer);
    this.#timer = null;
    this.#apply([]);
    const finish = this.#finish;
    this.#finish = null;
    finish?.();
  }

  #apply(on: readonly OutputRole[]): void {
    for (const role of ['green', 'red', 'buzzer', 'relay'] as const) {
      this.#outputs[role]?.set(on.includes(role));
    }
  }
}
