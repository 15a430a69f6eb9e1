import { type Presence, type SiteId, shiftOpen, workingDay } from '@ccus-gate/protocol';
import type { SqliteDb } from '../store/sqlite-db.js';

const HOUR_MS = 3_600_000;
/** Further back than any open shift can reach (a working day of 25 hours, a shift of 24). */
const LOOK_BACK_MS = 26 * HOUR_MS;

/**
 * Who is on site at `now`: each worker whose latest counted tap at the site (from every
 * terminal, as the record rebuild paired it, kept in worker_presence) leaves their shift open
 * by protocol's shift rule. What the site's toggle terminals need to answer "exit" to a worker
 * who entered through another of them.
 */
export function presenceFor(db: SqliteDb, siteId: SiteId, now: Date): Omit<Presence, 'version'> {
  const site = db.sql('SELECT time_zone, day_boundary, max_shift_hours FROM sites WHERE site_id = ?').get(siteId) as {
    time_zone: string;
    day_boundary: string;
    max_shift_hours: number;
  };
  const maxShiftMs = site.max_shift_hours * HOUR_MS;
  const today = workingDay(now, { timeZone: site.time_zone, dayBoundary: site.day_boundary });
  const rows = db
    .sql(
      `SELECT worker_id, record_day, shift_start_ms FROM worker_presence
         WHERE site_id = ? AND last_direction = 'in' AND last_at_ms >= ? AND last_at_ms <= ? ORDER BY worker_id`,
    )
    .all(siteId, now.getTime() - LOOK_BACK_MS, now.getTime()) as {
    worker_id: string;
    record_day: string;
    shift_start_ms: number;
  }[];
  const onSite: Presence['onSite'] = [];
  for (const row of rows) {
    const state = { last: 'in' as const, recordDay: row.record_day, shiftStartMs: row.shift_start_ms };
    if (!shiftOpen(state, { atMs: now.getTime(), day: today }, maxShiftMs)) continue;
    onSite.push({
      workerId: row.worker_id as Presence['onSite'][number]['workerId'],
      since: new Date(row.shift_start_ms).toISOString(),
      recordDay: row.record_day,
    });
  }
  return { v: 1, siteId, issuedAt: now.toISOString(), onSite };
}
