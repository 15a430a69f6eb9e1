import { prepared } from '../store/engine/prepared.js';
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

type Key = { siteId: string; workerId: string };
const ROSTER_PLACE = prepared((db, p: Key) =>
  db
    .selectFrom('site_roster as r')
    .innerJoin('workers as w', (join) =>
      join.onRef('w.tenant_id', '=', 'r.tenant_id').onRef('w.worker_id', '=', 'r.worker_id'),
    )
    .select(['r.trade', 'r.position', 'r.period_from', 'r.period_until', 'w.trades'])
    .where('r.site_id', '=', p.siteId)
    .where('r.worker_id', '=', p.workerId),
);
const PRIME_BOOKS = prepared((db, p: Key) =>
  db
    .selectFrom('workers as w')
    .innerJoin('sites as s', 's.tenant_id', 'w.tenant_id')
    .select('w.trades')
    .where('s.site_id', '=', p.siteId)
    .where('w.worker_id', '=', p.workerId),
);

/**
 * The worker's place on the site roster for the day: on it only within its period; the trade
 * from the roster place, else the worker's one registered trade. The worker's entry comes from
 * the books the roster place draws on, else from the site's prime contractor's.
 */
export function* workerRole(engine: StoreEngine, key: RecordKey): Work<WorkerRole> {
  const place = { siteId: key.siteId, workerId: key.workerId };
  const entry = yield* firstRow(ROSTER_PLACE(engine, place));
  const trades = entry?.trades ?? (yield* firstRow(PRIME_BOOKS(engine, place)))?.trades;
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
