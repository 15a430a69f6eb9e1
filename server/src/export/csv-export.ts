import iconv from 'iconv-lite';
import type { WorkRecord } from '../store/record-queries.js';
import { isoInZone } from './iso-in-zone.js';

/**
 * CSV files for people and their spreadsheets. Columns are documented in server/README.md
 * ("Exports"); change them there too.
 */

export type Cell = string | number | null;
/** UTF-8 (with a byte order mark), or Windows-31J: the "Shift_JIS" Excel on Japanese Windows reads. */
export type CsvEncoding = 'utf-8' | 'windows-31j';

/** A CSV before it is written: its lines (the first the header), and whom a line is about, for errors. */
export interface CsvTable {
  lines: Cell[][];
  about(line: Cell[]): string;
}

/** One field, quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function field(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The table as text, CRLF-terminated: what spreadsheet programs on Windows expect. */
export function csvText(table: CsvTable): string {
  return `${table.lines.map((line) => line.map(field).join(',')).join('\r\n')}\r\n`;
}

function daysIn(month: string): number {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, m, 0)).getUTCDate();
}

export interface CalendarWorker {
  name: string;
  employerCompanyId: string;
  trade: string | null;
}

/**
 * The 建退共 monthly calendar for one company: one row per employee with work that month,
 * one column per calendar day (1 where the worker has a work record that day, at any
 * site), and the number of days. Several sites on one day count as one day. The layout is
 * this project's report; CCUS's own monthly calendar CSV columns are not public.
 */
export function kentaikyoCalendar(
  month: string,
  companyId: string,
  records: readonly WorkRecord[],
  workerOf: (workerId: string) => CalendarWorker | null,
): CsvTable {
  const days = daysIn(month);
  const worked = new Map<string, Set<number>>();
  for (const record of records) {
    if (!record.workingDay.startsWith(`${month}-`)) continue;
    const set = worked.get(record.workerId) ?? new Set<number>();
    set.add(Number(record.workingDay.slice(8, 10)));
    worked.set(record.workerId, set);
  }
  const header: Cell[] = ['事業者ID', '対象年月', '技能者ID', '氏名', '職種'];
  for (let d = 1; d <= days; d++) header.push(String(d));
  header.push('就労日数');
  const lines: Cell[][] = [header];
  for (const workerId of [...worked.keys()].sort()) {
    const worker = workerOf(workerId);
    if (worker === null || worker.employerCompanyId !== companyId) continue;
    const set = worked.get(workerId) as Set<number>;
    const line: Cell[] = [companyId, month, workerId, worker.name, worker.trade];
    for (let d = 1; d <= days; d++) line.push(set.has(d) ? 1 : null);
    line.push(set.size);
    lines.push(line);
  }
  return { lines, about: (line) => `worker ${String(line[2])} (${String(line[3])})` };
}

const RECORD_COLUMNS = {
  en: [
    'site_id',
    'worker_id',
    'worker_name',
    'working_day',
    'first_in',
    'last_out',
    'trade',
    'position',
    'tap_count',
    'flags',
    'ccus_state',
    'ccus_receipt',
    'deadline',
  ],
  ja: [
    '現場ID',
    '技能者ID',
    '氏名',
    '就業日',
    '入場',
    '退場',
    '職種',
    '立場',
    '打刻数',
    '注意',
    'CCUS状態',
    '受付番号',
    '送信期限',
  ],
} as const;

/**
 * Every record with its times, flags and CCUS state. Times are in the site's own time zone,
 * to the second, with their offset (2026-11-24T08:01:00+09:00), however they were stored.
 */
export function recordsCsv(
  records: readonly WorkRecord[],
  options: { nameOf: (workerId: string) => string | null; zoneOf: (siteId: string) => string; headers: 'en' | 'ja' },
): CsvTable {
  const lines: Cell[][] = [[...RECORD_COLUMNS[options.headers]]];
  const time = (at: string | null, siteId: string): string | null =>
    at === null ? null : isoInZone(at, options.zoneOf(siteId));
  for (const r of [...records].sort((a, b) =>
    (a.workingDay + a.siteId + a.workerId).localeCompare(b.workingDay + b.siteId + b.workerId),
  )) {
    lines.push([
      r.siteId,
      r.workerId,
      options.nameOf(r.workerId),
      r.workingDay,
      time(r.firstIn, r.siteId),
      time(r.lastOut, r.siteId),
      r.trade,
      r.position,
      r.tapCount,
      r.flags.join(';'),
      r.ccus?.state ?? null,
      r.ccus?.receipt ?? null,
      r.deadline,
    ]);
  }
  return { lines, about: (line) => `worker ${String(line[1])} (${String(line[2] ?? '')}) on ${String(line[3])}` };
}

/**
 * The same characters as other systems write them, as Windows-31J has them: the JIS X 0208
 * to CP932 differences (a wave dash typed on a Mac, say). Applied before encoding, and
 * documented in server/README.md, "Exports".
 */
export const WINDOWS_31J_SUBSTITUTES: Readonly<Record<string, string>> = {
  '\u301C': '\uFF5E', // 〜 WAVE DASH → ～ FULLWIDTH TILDE
  '\u2212': '\uFF0D', // − MINUS SIGN → － FULLWIDTH HYPHEN-MINUS
  '\u2016': '\u2225', // ‖ DOUBLE VERTICAL LINE → ∥ PARALLEL TO
  '\u2014': '\u2015', // — EM DASH → ― HORIZONTAL BAR
  '\u00A2': '\uFFE0', // ¢ → ￠
  '\u00A3': '\uFFE1', // £ → ￡
  '\u00AC': '\uFFE2', // ¬ → ￢
};

/** Characters a file cannot hold, by whom they belong to: never written as a silent `?`. */
export class UnencodableError extends Error {
  readonly found: { about: string; characters: string[] }[];
  constructor(encoding: string, found: { about: string; characters: string[] }[]) {
    const list = found
      .slice(0, 5)
      .map((f) => `${f.about}: ${f.characters.join(' ')}`)
      .join('; ');
    super(
      `${found.length} line(s) have characters ${encoding} cannot hold (${list}${found.length > 5 ? '; …' : ''}); download it as UTF-8, or correct the text`,
    );
    this.name = 'UnencodableError';
    this.found = found;
  }
}

const fitsWindows31j = (ch: string): boolean =>
  ch === '?' || iconv.decode(iconv.encode(ch, 'windows-31j'), 'windows-31j') === ch;

/** The file's bytes: UTF-8 with a byte order mark (so spreadsheets detect it), or Windows-31J, refusing what it cannot hold. */
export function encodeCsv(table: CsvTable, encoding: CsvEncoding): Uint8Array {
  if (encoding === 'utf-8')
    return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvText(table), 'utf8')]);
  const substitute = (cell: Cell): Cell =>
    typeof cell === 'string' ? [...cell].map((ch) => WINDOWS_31J_SUBSTITUTES[ch] ?? ch).join('') : cell;
  const lines = table.lines.map((line) => line.map(substitute));
  const found: { about: string; characters: string[] }[] = [];
  for (const line of lines) {
    const characters = new Set<string>();
    for (const cell of line)
      if (typeof cell === 'string') for (const ch of cell) if (!fitsWindows31j(ch)) characters.add(ch);
    if (characters.size > 0) found.push({ about: table.about(line), characters: [...characters] });
  }
  if (found.length > 0) throw new UnencodableError('Windows-31J', found);
  return iconv.encode(csvText({ ...table, lines }), 'windows-31j');
}
