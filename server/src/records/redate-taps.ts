import { workingDay } from '@ccus-gate/protocol';
import type { SqliteDb } from '../store/sqlite-db.js';

/** A stored tap as re-dating needs it. */
export interface RedatedTapRow {
  terminal_id: string;
  seq: number;
  site_id: string;
  worker_id: string | null;
  working_day: string;
  record_day: string | null;
  mono: number;
  flags: string;
}

/**
 * Rewrites one stored tap's wall time from its monotonic time and the boot's offset (learnt
 * from a synchronised tap of the same boot, or from a person who knows when it was), keeping
 * the time first sent. Returns the record days it left and joined, for the caller to queue.
 */
export function redateTap(
  db: SqliteDb,
  row: RedatedTapRow,
  offsetMs: number,
): { siteId: string; workerId: string | null; days: string[] } {
  const rule = db.sql('SELECT time_zone, day_boundary FROM sites WHERE site_id = ?').get(row.site_id) as {
    time_zone: string;
    day_boundary: string;
  };
  const at = new Date(Number(row.mono) + offsetMs);
  const day = workingDay(at, { timeZone: rule.time_zone, dayBoundary: rule.day_boundary });
  const flags = (JSON.parse(row.flags) as string[]).filter((flag) => flag !== 'implausible_time');
  if (!flags.includes('clock_corrected')) flags.push('clock_corrected');
  db.sql(
    `UPDATE taps SET raw_at = coalesce(raw_at, at), at = ?, at_ms = ?, working_day = ?, clock_synced = 1, flags = ?
     WHERE terminal_id = ? AND seq = ?`,
  ).run(at.toISOString(), at.getTime(), day, JSON.stringify(flags), row.terminal_id, row.seq);
  return { siteId: row.site_id, workerId: row.worker_id, days: [row.record_day ?? row.working_day, day] };
}

/** The boot's taps whose times cannot be trusted (never synchronised, or impossible). */
export function untrustedTaps(db: SqliteDb, terminalId: string, bootId: string): RedatedTapRow[] {
  return db
    .sql('SELECT * FROM taps WHERE terminal_id = ? AND boot_id = ? AND clock_synced = 0')
    .all(terminalId, bootId) as RedatedTapRow[];
}
