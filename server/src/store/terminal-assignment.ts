import type { SiteId, TerminalId, WorkingDayRule } from '@ccus-gate/protocol';
import { prepared } from './engine/prepared.js';
import type { StoreEngine } from './engine/store-engine.js';
import { firstRow, mapRows, type Work } from './engine/work.js';

export interface TerminalAssignment {
  terminalId: TerminalId;
  tenantId: string | null;
  siteId: SiteId | null;
  rule: WorkingDayRule | null;
  /** Leases before the current one, when there were any: their taps belong to their site. */
  earlier: { siteId: SiteId; rule: WorkingDayRule; fromMs: number; untilMs: number }[];
}

// Read for every batch a terminal sends: compiled once, not built again per batch.
const CURRENT = prepared((db, p: { terminalId: string }) =>
  db
    .selectFrom('terminals as t')
    .leftJoin('sites as s', 's.site_id', 't.site_id')
    .select(['t.tenant_id', 't.site_id', 's.time_zone', 's.day_boundary'])
    .where('t.terminal_id', '=', p.terminalId),
);
const EARLIER = prepared((db, p: { terminalId: string }) =>
  db
    .selectFrom('terminal_leases as l')
    .innerJoin('sites as s', 's.site_id', 'l.site_id')
    .select(['l.site_id', 'l.lease_from', 'l.lease_until', 's.time_zone', 's.day_boundary'])
    .where('l.terminal_id', '=', p.terminalId)
    .where('l.lease_until', 'is not', null)
    .orderBy('l.lease_from'),
);

/** Where a terminal's taps belong: its tenant and site now, and the leases it had before. */
export function* terminalAssignment(engine: StoreEngine, terminalId: TerminalId): Work<TerminalAssignment | null> {
  const row = yield* firstRow(CURRENT(engine, { terminalId }));
  if (row === undefined) return null;
  const earlier = yield* mapRows(EARLIER(engine, { terminalId }), (lease) => ({
    siteId: lease.site_id as SiteId,
    rule: { timeZone: lease.time_zone, dayBoundary: lease.day_boundary },
    fromMs: Date.parse(lease.lease_from),
    untilMs: Date.parse(lease.lease_until as string),
  }));
  return {
    terminalId,
    tenantId: row.tenant_id,
    siteId: row.site_id as SiteId | null,
    rule:
      row.time_zone === null || row.day_boundary === null
        ? null
        : { timeZone: row.time_zone, dayBoundary: row.day_boundary },
    earlier,
  };
}
