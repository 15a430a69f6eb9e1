import type { SiteId, TerminalId, WorkingDayRule } from '@ccus-gate/protocol';
import { prepared } from './engine/prepared.js';
import type { StoreEngine } from './engine/store-engine.js';
import { rows, type Work } from './engine/work.js';

export interface TerminalAssignment {
  terminalId: TerminalId;
  tenantId: string | null;
  siteId: SiteId | null;
  rule: WorkingDayRule | null;
  /** Leases before the current one, when there were any: their taps belong to their site. */
  earlier: { siteId: SiteId; rule: WorkingDayRule; fromMs: number; untilMs: number }[];
  /** A card enrolment waits at the terminal (enrolment/): a card its next taps read may be the one. */
  enrolmentWaiting: boolean;
}

/**
 * Read for every batch a terminal sends, so in one statement (compiled once): the terminal
 * with its site now and any enrolment waiting there, on one row per lease it had before (their
 * sites' rules too), or on one row with no lease when it had none.
 */
const ASSIGNMENT = prepared((db, p: { terminalId: string }) =>
  db
    .selectFrom('terminals as t')
    .leftJoin('sites as s', 's.site_id', 't.site_id')
    .leftJoin('terminal_leases as l', (join) =>
      join.onRef('l.terminal_id', '=', 't.terminal_id').on('l.lease_until', 'is not', null),
    )
    .leftJoin('sites as ls', 'ls.site_id', 'l.site_id')
    .leftJoin('card_enrolments as e', 'e.terminal_id', 't.terminal_id')
    .select([
      't.tenant_id',
      't.site_id',
      's.time_zone',
      's.day_boundary',
      'l.site_id as lease_site_id',
      'l.lease_from',
      'l.lease_until',
      'ls.time_zone as lease_time_zone',
      'ls.day_boundary as lease_day_boundary',
      'e.terminal_id as enrolment',
    ])
    .where('t.terminal_id', '=', p.terminalId)
    .orderBy('l.lease_from'),
);

/** Where a terminal's taps belong: its tenant and site now, and the leases it had before. */
export function* terminalAssignment(engine: StoreEngine, terminalId: TerminalId): Work<TerminalAssignment | null> {
  const found = yield* rows(ASSIGNMENT(engine, { terminalId }));
  const row = found[0];
  if (row === undefined) return null;
  const earlier = found.flatMap((lease) =>
    lease.lease_site_id === null || lease.lease_time_zone === null || lease.lease_day_boundary === null
      ? []
      : [
          {
            siteId: lease.lease_site_id as SiteId,
            rule: { timeZone: lease.lease_time_zone, dayBoundary: lease.lease_day_boundary },
            fromMs: Date.parse(lease.lease_from as string),
            untilMs: Date.parse(lease.lease_until as string),
          },
        ],
  );
  return {
    terminalId,
    tenantId: row.tenant_id,
    siteId: row.site_id as SiteId | null,
    rule:
      row.time_zone === null || row.day_boundary === null
        ? null
        : { timeZone: row.time_zone, dayBoundary: row.day_boundary },
    earlier,
    enrolmentWaiting: row.enrolment !== null,
  };
}
