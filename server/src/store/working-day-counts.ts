import type { SqliteDb } from './sqlite-db.js';
import { scoped, type TenantScope, VISIBLE_SITES, WORKER_BOOKS, WORKER_IN_SCOPE } from './tenant-scope.js';

/** A worker's days in one trade (or in all, `trade` null), as level progress counts them. */
export interface WorkingDayCount {
  workerId: string;
  trade: string | null;
  days: number;
  leaderDays: number;
  daysLastYear: number;
  leaderDaysLastYear: number;
}

const COUNTS = `count(DISTINCT r.working_day) AS days,
  count(DISTINCT CASE WHEN r.position IN ('foreman', 'leader') THEN r.working_day END) AS leader_days,
  count(DISTINCT CASE WHEN r.working_day > @yearAgo THEN r.working_day END) AS days_last_year,
  count(DISTINCT CASE WHEN r.working_day > @yearAgo AND r.position IN ('foreman', 'leader') THEN r.working_day END)
    AS leader_days_last_year`;

/**
 * Distinct working days per worker at the sites the tenant sees, per trade and in all: several
 * records on one day count once, as CCUS counts them. Withdrawn records do not count. Only
 * workers of `workerIds` (a page of them) are counted.
 */
export function workingDayCounts(
  db: SqliteDb,
  scope: TenantScope,
  filter: { workerIds: readonly string[]; today: string },
): WorkingDayCount[] {
  if (filter.workerIds.length === 0) return [];
  const yearAgo = new Date(Date.parse(`${filter.today}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10);
  const rows = db
    .sql(
      `WITH ${VISIBLE_SITES}, wanted(worker_id) AS (SELECT value FROM json_each(@workerIds)),
       scoped AS (
         SELECT r.* FROM records r JOIN visible v USING (site_id) JOIN wanted USING (worker_id)
           LEFT JOIN workers w ON w.worker_id = r.worker_id AND w.tenant_id = ${WORKER_BOOKS('r')}
           WHERE ${WORKER_IN_SCOPE} AND r.working_day <= @today AND r.flags NOT LIKE '%"withdrawn"%'
       )
       SELECT r.worker_id, r.trade, ${COUNTS} FROM scoped r WHERE r.trade IS NOT NULL GROUP BY r.worker_id, r.trade
       UNION ALL
       SELECT r.worker_id, NULL, ${COUNTS} FROM scoped r GROUP BY r.worker_id
       ORDER BY 1, 2`,
    )
    .all({ ...scoped(scope), workerIds: JSON.stringify(filter.workerIds), today: filter.today, yearAgo }) as {
    worker_id: string;
    trade: string | null;
    days: number;
    leader_days: number;
    days_last_year: number;
    leader_days_last_year: number;
  }[];
  return rows.map((row) => ({
    workerId: row.worker_id,
    trade: row.trade,
    days: row.days,
    leaderDays: row.leader_days,
    daysLastYear: row.days_last_year,
    leaderDaysLastYear: row.leader_days_last_year,
  }));
}
