import type { DigitalOutput } from '../output.js';

export interface OutputChange {
  output: string;
  on: boolean;
  /** Milliseconds from the injected clock. */
  at: number;
}

/**
 * An output that records every change with its time, and can render as text.
 * Repeated writes of the same level are not changes and are not recorded.
 */
export class RecordingOutput implements DigitalOutput {
  readonly name: string;
  readonly changes: OutputChange[] = [];
  #on = false;
  readonly #now: () => number;
  readonly #onChange: ((change: OutputChange) => void) | undefined;

  constructor(name: string, now: () => number = () => performance.now(), onChange?: (change: OutputChange) => void) {
    this.name = name;
    this.#now = now;
    this.#onChange = onChange;
  }

  get on(): boolean {
    return this.#on;
  }

  set(on: boolean): void {
    if (on === this.#on) return;
    this.#on = on;
    const change = { output: this.name, on, at: this.#now() };
    this.changes.push(change);
    this.#onChange?.(change);
  }
}
