/**
 * A small text display at the gate (a 16×2 character LCD, or a simulated one): what each tap
 * did, and the terminal's state while idle. Lines longer than the display are cut, shorter
 * ones padded; text the display cannot show is replaced, never left out silently.
 */
export interface TextDisplay {
  readonly columns: number;
  readonly rows: number;
  /** Shows these lines from the top; missing lines are blank. Returns once handed to the device. */
  show(lines: readonly string[]): void;
  close(): void;
}

/** The lines as a display of this size shows them: cut or padded to the width, blank rows filled. */
export function fitLines(lines: readonly string[], columns: number, rows: number): string[] {
  return Array.from({ length: rows }, (_, row) => {
    const chars = Array.from(lines[row] ?? '');
    return chars.length >= columns
      ? chars.slice(0, columns).join('')
      : chars.join('') + ' '.repeat(columns - chars.length);
  });
}
