import type { SqliteDb } from '../store/sqlite-db.js';
import type { RecordKey } from './record-queue.js';

/** What a worker is at a site on a day, as a record carries it. */
export interface WorkerRole {
  onRoster: boolean;
  trade: string | null;
  position: string | null;
  /** The trades the worker is registered for, on the books the site draws on. */
  registeredTrades: string[];
}

/**
 * The worker's place on the site roster for the day: on it only within its period; the trade
 * from the roster place, else the worker's one registered trade. The worker's entry comes from
 * the books the roster place draws on, else from the site's prime contractor's.
 */
export function workerRole(db: SqliteDb, key: RecordKey): WorkerRole {
  const entry = db
    .sql(
      `SELECT r.trade, r.position, r.period_from, r.period_until, w.trades FROM site_roster r
         JOIN workers w ON w.tenant_id = r.tenant_id AND w.worker_id = r.worker_id
         WHERE r.site_id = ? AND r.worker_id = ?`,
    )
    .get(key.siteId, key.workerId) as
    | {
        trade: string | null;
        position: string | null;
        period_from: string | null;
        period_until: string | null;
        trades: string;
      }
    | undefined;
  const trades =
    entry?.trades ??
    (db
      .sql(
        `SELECT w.trades FROM workers w JOIN sites s ON s.tenant_id = w.tenant_id WHERE s.site_id = ? AND w.worker_id = ?`,
      )
      .pluck()
      .get(key.siteId, key.workerId) as string | undefined);
  const registeredTrades = trades === undefined ? [] : (JSON.parse(trades) as string[]);
  const onRoster =
    entry !== undefined &&
    (entry.period_from === null || key.workingDay >= entry.period_from) &&
    (entry.period_until === null || key.workingDay <= entry.period_until);
  return {
    onRoster,
    trade: entry?.trade ?? (registeredTrades.length === 1 ? (registeredTrades[0] as string) : null),
    position: entry?.position ?? null,
    registeredTrades,
  };
}
