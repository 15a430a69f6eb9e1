import { type Presence, type SiteId, shiftOpen, workingDay } from '@ccus-gate/protocol';
import type { StoreEngine } from '../store/engine/store-engine.js';
import { firstRow, rows, type Work } from '../store/engine/work.js';

const HOUR_MS = 3_600_000;
/** Further back than any open shift can reach (a working day of 25 hours, a shift of 24). */
const LOOK_BACK_MS = 26 * HOUR_MS;

/**
 * Who is on site at `now`: each worker whose latest counted tap at the site (from every
 * terminal, as the record rebuild paired it, kept in worker_presence) leaves their shift open
 * by protocol's shift rule. What the site's toggle terminals need to answer "exit" to a worker
 * who entered through another of them.
 */
export function* presenceFor(engine: StoreEngine, siteId: SiteId, now: Date): Work<Omit<Presence, 'version'>> {
  const site = yield* firstRow(
    engine.db
      .selectFrom('sites')
      .select(['time_zone', 'day_boundary', 'max_shift_hours'])
      .where('site_id', '=', siteId),
  );
  if (site === undefined) return { v: 1, siteId, issuedAt: now.toISOString(), onSite: [] };
  const maxShiftMs = site.max_shift_hours * HOUR_MS;
  const today = workingDay(now, { timeZone: site.time_zone, dayBoundary: site.day_boundary });
  const present = yield* rows(
    engine.db
      .selectFrom('worker_presence')
      .select(['worker_id', 'record_day', 'shift_start_ms'])
      .where('site_id', '=', siteId)
      .where('last_direction', '=', 'in')
      .where('last_at_ms', '>=', now.getTime() - LOOK_BACK_MS)
      .where('last_at_ms', '<=', now.getTime())
      .orderBy('worker_id'),
  );
  const onSite: Presence['onSite'] = [];
  for (const row of present) {
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
