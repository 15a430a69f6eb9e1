import { fitLines, type TextDisplay } from '../display.js';

/**
 * A display with no hardware: it keeps what it shows, every screen in order, for tests, and
 * reports each new screen (the simulated terminal logs it). It shows any text, as an OLED
 * with a full font would; the LCD's narrower character set is the LCD driver's business.
 */
export class SimulatedDisplay implements TextDisplay {
  readonly columns: number;
  readonly rows: number;
  readonly screens: string[][] = [];
  readonly #listeners: ((lines: string[]) => void)[] = [];

  constructor(options: { columns?: number; rows?: number; onShow?: (lines: string[]) => void } = {}) {
    this.columns = options.columns ?? 16;
    this.rows = options.rows ?? 2;
    if (options.onShow !== undefined) this.#listeners.push(options.onShow);
  }

  /** Calls `listener` with each new screen from now on. */
  onShow(listener: (lines: string[]) => void): void {
    this.#listeners.push(listener);
  }

  /** What it shows now, trailing blanks trimmed. */
  get current(): string[] {
    return (this.screens.at(-1) ?? fitLines([], this.columns, this.rows)).map((line) => line.trimEnd());
  }

  show(lines: readonly string[]): void {
    const screen = fitLines(lines, this.columns, this.rows);
    const last = this.screens.at(-1);
    if (last?.every((line, i) => line === screen[i])) return;
    this.screens.push(screen);
    for (const listener of this.#listeners) listener(screen.map((line) => line.trimEnd()));
  }

  close(): void {
    this.show([]);
  }
}
