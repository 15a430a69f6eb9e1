import { fromLcdByte } from '../drivers/lcd/lcd-charset.js';

const RS = 0x01;
const E = 0x04;
const BACKLIGHT = 0x08;

/**
 * An HD44780 character LCD behind a PCF8574 I2C backpack, fed the bytes the bus carries to
 * the backpack's address. Each byte sets the expander's pins (P0 RS, P1 RW, P2 E, P3
 * backlight, P4–P7 the LCD's D4–D7); the LCD takes D4–D7 when E falls: one instruction per
 * pulse until it is put in 4-bit mode, then a byte per two pulses, high half first. It keeps
 * display memory as the chip does, so a test reads the screen as a person would.
 */
export class FakeLcdBackpack {
  readonly rows: number;
  readonly columns: number;
  backlight = false;
  displayOn = false;
  /** Bytes received, and instructions and characters decoded: what the host cost the bus. */
  readonly stats = { busBytes: 0, instructions: 0, characters: 0, clears: 0 };
  #pins = 0;
  #fourBit = false;
  #high: number | null = null;
  #ddram = new Uint8Array(0x80).fill(0x20);
  #address = 0;
  #cgram = false;

  constructor(options: { rows?: number; columns?: number } = {}) {
    this.rows = options.rows ?? 2;
    this.columns = options.columns ?? 16;
  }

  /** One byte written to the backpack over I2C. */
  write(byte: number): void {
    this.stats.busBytes++;
    const fell = (this.#pins & E) !== 0 && (byte & E) === 0;
    this.#pins = byte;
    this.backlight = (byte & BACKLIGHT) !== 0;
    if (!fell) return;
    const nibble = byte >> 4;
    const rs = (byte & RS) !== 0;
    if (!this.#fourBit) {
      // 8-bit mode: the low half of the bus is not wired, so it reads as 0.
      this.#take(rs, nibble << 4);
      return;
    }
    if (this.#high === null) {
      this.#high = nibble;
      return;
    }
    const value = (this.#high << 4) | nibble;
    this.#high = null;
    this.#take(rs, value);
  }

  /** The screen as text, a line per row (katakana as the ROM shows it, half-width). */
  text(): string[] {
    const starts = [0x00, 0x40, this.columns, 0x40 + this.columns];
    return Array.from({ length: this.rows }, (_, row) => {
      const start = starts[row] as number;
      return Array.from(this.#ddram.subarray(start, start + this.columns), fromLcdByte).join('');
    });
  }

  #take(rs: boolean, value: number): void {
    if (rs) {
      this.stats.characters++;
      if (this.#cgram) return; // a custom character's pattern: not shown text
      this.#ddram[this.#address] = value;
      this.#address = (this.#address + 1) & 0x7f;
      return;
    }
    this.stats.instructions++;
    if (value & 0x80) {
      this.#cgram = false;
      this.#address = value & 0x7f;
    } else if (value & 0x40) {
      this.#cgram = true;
    } else if (value & 0x20) {
      this.#fourBit = (value & 0x10) === 0;
      this.#high = null;
    } else if (value & 0x08) {
      this.displayOn = (value & 0x04) !== 0;
    } else if (value & 0x02) {
      this.#address = 0;
    } else if (value & 0x01) {
      this.stats.clears++;
      this.#ddram.fill(0x20);
      this.#address = 0;
    }
  }
}
