/**
 * What a scanned QR code says. The 建キャリ app shows the worker's ID as a QR code, but the
 * format of its payload is not public: a site configures a pattern, and anything that does
 * not match it is refused, never guessed at.
 */

/** By default: the 14 digits of a worker ID, alone, with spaces or hyphens between them allowed. */
export const DEFAULT_QR_PATTERN = '^[0-9][0-9 -]{12,}[0-9]$';

/** Scanners send at most a few hundred characters; more than this is not a worker's code. */
export const MAX_QR_TEXT = 256;

export type QrReading = { workerId: string } | { refused: string };

/**
 * The worker ID in a scanned text: the pattern's first capture group (or its whole match when
 * it has none), with spaces and hyphens taken out, must then be exactly 14 digits.
 */
export function readQrText(text: string, pattern: RegExp): QrReading {
  if (text.length === 0) return { refused: 'an empty code' };
  if (text.length > MAX_QR_TEXT) return { refused: `a code of ${text.length} characters (at most ${MAX_QR_TEXT})` };
  const match = pattern.exec(text);
  if (match === null) return { refused: `${shown(text)} does not match the pattern ${pattern.source}` };
  const id = (match[1] ?? match[0]).replace(/[\s-]/g, '');
  if (!/^[0-9]{14}$/.test(id)) return { refused: `${shown(text)} does not hold a 14-digit worker ID` };
  return { workerId: id };
}

/** Compiles a configured pattern, or says why it cannot be one. */
export function compileQrPattern(source: string): RegExp | string {
  try {
    return new RegExp(source, 'u');
  } catch (error) {
    return (error as Error).message;
  }
}

/** A scanned text as a log may show it: quoted, control characters escaped, cut short. */
function shown(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(cut);
}

/**
 * Splits a scanner's byte stream into codes at CR or LF (scanners end each code with one or
 * both). Bounded: serialport's own parsers buffer without limit, and a scanner left without
 * a suffix configured, or line noise, would grow that buffer forever.
 */
export class QrLineSplitter {
  #pending: Buffer[] = [];
  #length = 0;
  #overflowed = false;
  readonly #max: number;

  constructor(maxBytes = MAX_QR_TEXT * 4) {
    this.#max = maxBytes;
  }

  /** The lines `chunk` completes (as UTF-8), and how many over-long ones it began to drop. */
  push(chunk: Buffer): { lines: string[]; dropped: number } {
    const lines: string[] = [];
    let dropped = 0;
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== 0x0d && byte !== 0x0a) continue;
      if (this.#append(chunk.subarray(start, i))) dropped++;
      start = i + 1;
      if (!this.#overflowed && this.#length > 0) lines.push(Buffer.concat(this.#pending).toString('utf8'));
      this.#pending = [];
      this.#length = 0;
      this.#overflowed = false;
    }
    if (this.#append(chunk.subarray(start))) dropped++;
    return { lines, dropped };
  }

  /** Keeps part of the current line; true when this part made it too long (it is dropped, to its end). */
  #append(part: Buffer): boolean {
    if (part.length === 0 || this.#overflowed) return false;
    if (this.#length + part.length > this.#max) {
      this.#overflowed = true;
      this.#pending = [];
      this.#length = 0;
      return true;
    }
    this.#pending.push(Buffer.from(part));
    this.#length += part.length;
    return false;
  }
}
