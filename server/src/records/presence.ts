import { type Presence, type ShiftState, type SiteId, shiftOpen, shiftStep, workingDay } from '@ccus-gate/protocol';
import type { SqliteDb } from '../store/sqlite-db.js';

const HOUR_MS = 3_600_000;
/** Further back than any open shift can reach (a working day of 25 hours, a shift of 24). */
const LOOK_BACK_MS = 26 * HOUR_MS;

/**
 * Who is on site at `now`, by protocol's shift rule over every worker's counted taps at the
 * site (from every terminal, as their records pair them): what the site's toggle terminals
 * need to answer "exit" to a worker who entered through another of them.
 */
export function presenceFor(db: SqliteDb, siteId: SiteId, now: Date): Omit<Presence, 'version'> {
  const site = db.sql('SELECT time_zone, day_boundary, max_shift_hours FROM sites WHERE site_id = ?').get(siteId) as {
    time_zone: string;
    day_boundary: string;
    max_shift_hours: number;
  };
  const maxShiftMs = site.max_shift_hours * HOUR_MS;
  const rows = db
    .sql(
      `SELECT worker_id, effective_direction, at_ms, working_day FROM taps
         WHERE site_id = ? AND at_ms >= ? AND at_ms <= ? AND worker_id IS NOT NULL
           AND effective_direction IS NOT NULL AND void_correction IS NULL
         ORDER BY at_ms, terminal_id, seq`,
    )
    .all(siteId, now.getTime() - LOOK_BACK_MS, now.getTime()) as {
    worker_id: string;
    effective_direction: 'in' | 'out';
    at_ms: number;
    working_day: string;
  }[];
  const states = new Map<string, ShiftState>();
  for (const row of rows) {
    const step = shiftStep(
      states.get(row.worker_id) ?? null,
      { atMs: row.at_ms, day: row.working_day, direction: row.effective_direction },
      maxShiftMs,
    );
    states.set(row.worker_id, step.state);
  }
  const today = workingDay(now, { timeZone: site.time_zone, dayBoundary: site.day_boundary });
  const onSite: Presence['onSite'] = [];
  for (const [workerId, state] of states) {
    if (!shiftOpen(state, { atMs: now.getTime(), day: today }, maxShiftMs)) continue;
    onSite.push({
      workerId: workerId as Presence['onSite'][number]['workerId'],
      since: new Date(state.shiftStartMs).toISOString(),
      recordDay: state.recordDay,
    });
  }
  onSite.sort((a, b) => (a.workerId < b.workerId ? -1 : 1));
  return { v: 1, siteId, issuedAt: now.toISOString(), onSite };
}
