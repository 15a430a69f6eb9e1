import { fitLines, type TextDisplay } from '../../display.js';
import type { JohnnyFiveBoard, JohnnyFiveLcdComponent } from '../johnny-five/j5-board.js';
import { toLcdText } from './lcd-charset.js';

export interface LcdOptions {
  /** The backpack's I2C address: 0x27 for a PCF8574, 0x3F for a PCF8574A, unless its jumpers say otherwise. */
  address: number;
  controller: 'PCF8574' | 'PCF8574A';
  rows: number;
  columns: number;
}

/**
 * A character LCD (HD44780, 16×2 or 20×4) behind an I2C backpack (PCF8574), through
 * johnny-five's LCD on the board the outputs use. Only the lines that changed are written,
 * each over its whole width, so no clear (which johnny-five waits out blocking the loop) is
 * ever needed and nothing of an earlier, longer line stays behind.
 */
export class JohnnyFiveLcd implements TextDisplay {
  readonly columns: number;
  readonly rows: number;
  readonly #lcd: JohnnyFiveLcdComponent;
  #shown: string[];

  constructor({ five, board }: JohnnyFiveBoard, options: LcdOptions) {
    this.columns = options.columns;
    this.rows = options.rows;
    this.#lcd = new five.LCD({
      controller: options.controller,
      address: options.address,
      rows: options.rows,
      cols: options.columns,
      board,
    });
    this.#shown = Array.from({ length: this.rows }, () => ' '.repeat(this.columns));
  }

  show(lines: readonly string[]): void {
    const next = fitLines(lines.map(toLcdText), this.columns, this.rows);
    next.forEach((line, row) => {
      if (line === this.#shown[row]) return;
      // Already in the ROM's codes: johnny-five must not read ":name:" in it as a custom character.
      this.#lcd.cursor(row, 0).print(line, { dontProcessSpecials: true });
    });
    this.#shown = next;
  }

  close(): void {
    this.show([]);
    this.#lcd.noBacklight();
  }
}
