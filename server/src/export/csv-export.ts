import iconv from 'iconv-lite';
import type { WorkRecord } from '../store/record-queries.js';

/**
 * CSV files for people and their spreadsheets. Columns are documented in server/README.md
 * ("Exports"); change them there too.
 */

/** One field, quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it as a formula. */
function field(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function rows(lines: readonly (readonly (string | number | null)[])[]): string {
  // CRLF: what spreadsheet programs on Windows expect.
  return `${lines.map((line) => line.map(field).join(',')).join('\r\n')}\r\n`;
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
 * site), and the number of days. Several sites on one day count as one day.
 */
export function kentaikyoCalendar(
  month: string,
  companyId: string,
  records: readonly WorkRecord[],
  workerOf: (workerId: string) => CalendarWorker | null,
): string {
  const days = daysIn(month);
  const worked = new Map<string, Set<number>>();
  for (const record of records) {
    if (!record.workingDay.startsWith(`${month}-`)) continue;
    const set = worked.get(record.workerId) ?? new Set<number>();
    set.add(Number(record.workingDay.slice(8, 10)));
    worked.set(record.workerId, set);
  }
  const header = ['事業者ID', '対象年月', '技能者ID', '氏名', '職種'];
  for (let d = 1; d <= days; d++) header.push(String(d));
  header.push('就労日数');
  const lines: (string | number | null)[][] = [header];
  for (const workerId of [...worked.keys()].sort()) {
    const worker = workerOf(workerId);
    if (worker === null || worker.employerCompanyId !== companyId) continue;
    const set = worked.get(workerId) as Set<number>;
    const line: (string | number | null)[] = [companyId, month, workerId, worker.name, worker.trade];
    for (let d = 1; d <= days; d++) line.push(set.has(d) ? 1 : null);
    line.push(set.size);
    lines.push(line);
  }
  return rows(lines);
}

/** Every record with its times, flags and CCUS state. */
export function recordsCsv(records: readonly WorkRecord[]): string {
  const lines: (string | number | null)[][] = [
    [
      'site_id',
      'worker_id',
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
  ];
  for (const r of [...records].sort((a, b) =>
    (a.workingDay + a.siteId + a.workerId).localeCompare(b.workingDay + b.siteId + b.workerId),
  )) {
    lines.push([
      r.siteId,
      r.workerId,
      r.workingDay,
      r.firstIn,
      r.lastOut,
      r.trade,
      r.position,
      r.tapCount,
      r.flags.join(';'),
      r.ccus?.state ?? null,
      r.ccus?.receipt ?? null,
      r.deadline,
    ]);
  }
  return rows(lines);
}

/** UTF-8 with a byte order mark (so spreadsheets detect it), or Shift_JIS for older ones. */
export function encodeCsv(text: string, encoding: 'utf-8' | 'shift_jis'): Uint8Array {
  if (encoding === 'utf-8') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  return iconv.encode(text, 'Shift_JIS');
}
