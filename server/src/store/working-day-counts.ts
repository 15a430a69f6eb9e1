import { sql } from 'kysely';
import type { StoreEngine } from './engine/store-engine.js';
import { mapRows, type Work } from './engine/work.js';
import { type TenantScope, visibleSites, workerBooks, workerInScope } from './tenant-scope.js';

/** A worker's days in one trade (or in all, `trade` null), as level progress counts them. */
export interface WorkingDayCount {
  workerId: string;
  trade: string | null;
  days: number;
  leaderDays: number;
  daysLastYear: number;
  leaderDaysLastYear: number;
}

/** Days in all, as a leader (職長, 班長), and each of those in the last year: counted once a day. */
const counts = (yearAgo: string) =>
  [
    sql<number>`count(DISTINCT r.working_day)`.as('days'),
    sql<number>`count(DISTINCT CASE WHEN r.position IN ('foreman', 'leader') THEN r.working_day END)`.as('leader_days'),
    sql<number>`count(DISTINCT CASE WHEN r.working_day > ${yearAgo} THEN r.working_day END)`.as('days_last_year'),
    sql<number>`count(DISTINCT CASE WHEN r.working_day > ${yearAgo} AND r.position IN ('foreman', 'leader')
      THEN r.working_day END)`.as('leader_days_last_year'),
  ] as const;

/**
 * Distinct working days per worker at the sites the tenant sees, per trade and in all: several
 * records on one day count once, as CCUS counts them. Withdrawn records do not count. Only
 * workers of `workerIds` (a page of them) are counted.
 */
export function* workingDayCounts(
  engine: StoreEngine,
  scope: TenantScope,
  filter: { workerIds: readonly string[]; today: string },
): Work<WorkingDayCount[]> {
  if (filter.workerIds.length === 0) return [];
  const yearAgo = new Date(Date.parse(`${filter.today}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const withScoped = engine.db.with('visible', visibleSites(scope)).with('scoped', (qb) =>
    qb
      .selectFrom('records as r')
      .innerJoin('visible as v', 'v.site_id', 'r.site_id')
      .leftJoin('workers as w', (join) => join.onRef('w.worker_id', '=', 'r.worker_id').on(workerBooks('r', scope)))
      .select(['r.worker_id', 'r.trade', 'r.working_day', 'r.position'])
      .where('r.worker_id', 'in', [...filter.workerIds])
      .where(workerInScope(scope))
      .where('r.working_day', '<=', filter.today)
      .where('r.flags', 'not like', '%"withdrawn"%'),
  );
  const query = withScoped
    .selectFrom('scoped as r')
    .select(['r.worker_id', 'r.trade', ...counts(yearAgo)])
    .where('r.trade', 'is not', null)
    .groupBy(['r.worker_id', 'r.trade'])
    .unionAll((eb) =>
      eb
        .selectFrom('scoped as r')
        .select(['r.worker_id', sql<string | null>`NULL`.as('trade'), ...counts(yearAgo)])
        .groupBy('r.worker_id'),
    )
    .orderBy('worker_id')
    .orderBy(sql`trade NULLS FIRST`);
  return yield* mapRows(query, (row) => ({
    workerId: row.worker_id,
    trade: row.trade,
    days: Number(row.days),
    leaderDays: Number(row.leader_days),
    daysLastYear: Number(row.days_last_year),
    leaderDaysLastYear: Number(row.leader_days_last_year),
  }));
}
