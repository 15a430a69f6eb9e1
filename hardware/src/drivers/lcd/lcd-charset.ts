/**
 * Text for an HD44780 character LCD with the common Japanese character ROM (A00): ASCII, and
 * half-width katakana at 0xA1–0xDF. There is no kanji, no hiragana and no Vietnamese
 * letter in it. Katakana and hiragana become half-width katakana (a voiced mark is a
 * character of its own there, as on every Japanese LCD); Latin letters lose their accents
 * (Vietnamese "Vào" shows as "Vao", đ as d). Anything else becomes "?".
 */

/** Full-width katakana and marks to their half-width forms: NFKC maps half-width to full-width, so reversed. */
const HALF_WIDTH = new Map<string, string>();
for (let cp = 0xff61; cp <= 0xff9f; cp++) {
  const half = String.fromCodePoint(cp);
  HALF_WIDTH.set(half.normalize('NFKC'), half);
}

const ROM_A00_KANA = (half: string): number => (half.codePointAt(0) as number) - 0xff61 + 0xa1;

/** The ROM's byte for each character of `text`, as a string of char codes 0x20–0xDF. */
export function toLcdText(text: string): string {
  let out = '';
  for (const ch of Array.from(text.normalize('NFD'))) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x0300 && cp <= 0x036f) continue; // accents: the letter alone
    if (cp === 0x3099 || cp === 0x309a) {
      out += String.fromCharCode(ROM_A00_KANA(cp === 0x3099 ? '\uff9e' : '\uff9f'));
      continue;
    }
    // Hiragana reads as the katakana a half-width ROM has.
    const kana = cp >= 0x3041 && cp <= 0x3096 ? String.fromCodePoint(cp + 0x60) : ch;
    const half = cp >= 0xff61 && cp <= 0xff9f ? ch : HALF_WIDTH.get(kana);
    if (half !== undefined) {
      out += String.fromCharCode(ROM_A00_KANA(half));
    } else if (ch === 'đ' || ch === 'Đ') {
      out += ch === 'đ' ? 'd' : 'D';
    } else if (ch === '\u3000') {
      out += ' ';
    } else if (cp >= 0xff01 && cp <= 0xff5e) {
      out += String.fromCharCode(cp - 0xfee0); // full-width ASCII
    } else if (cp >= 0x20 && cp <= 0x7d && cp !== 0x5c) {
      out += ch; // 0x5C is ¥ and 0x7E → in this ROM
    } else {
      out += '?';
    }
  }
  return out;
}

/** Whether the LCD shows all of `text` as it is meant (no "?" put in for something it lacks). */
export function lcdCanShow(text: string): boolean {
  return !toLcdText(text.replaceAll('?', '')).includes('?');
}

/** What a byte of the A00 ROM looks like, for tests and the simulated LCD: the inverse of `toLcdText`. */
export function fromLcdByte(byte: number): string {
  if (byte >= 0xa1 && byte <= 0xdf) return String.fromCodePoint(byte - 0xa1 + 0xff61);
  if (byte === 0x5c) return '¥';
  if (byte >= 0x20 && byte <= 0x7d) return String.fromCharCode(byte);
  return '\ufffd';
}
