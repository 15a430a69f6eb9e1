import type { StoreEngine } from '../store/engine/store-engine.js';
import { firstRow, type Work } from '../store/engine/work.js';
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
export function* workerRole(engine: StoreEngine, key: RecordKey): Work<WorkerRole> {
  const entry = yield* firstRow(
    engine.db
      .selectFrom('site_roster as r')
      .innerJoin('workers as w', (join) =>
        join.onRef('w.tenant_id', '=', 'r.tenant_id').onRef('w.worker_id', '=', 'r.worker_id'),
      )
      .select(['r.trade', 'r.position', 'r.period_from', 'r.period_until', 'w.trades'])
      .where('r.site_id', '=', key.siteId)
      .where('r.worker_id', '=', key.workerId),
  );
  const trades =
    entry?.trades ??
    (yield* firstRow(
      engine.db
        .selectFrom('workers as w')
        .innerJoin('sites as s', 's.tenant_id', 'w.tenant_id')
        .select('w.trades')
        .where('s.site_id', '=', key.siteId)
        .where('w.worker_id', '=', key.workerId),
    ))?.trades;
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
