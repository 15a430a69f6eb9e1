import type { StoreEngine } from './engine/store-engine.js';
import { firstRow } from './engine/work.js';
import { StoreError } from './store-error.js';

/** The tenant's own entry for the worker, by its key; undefined when its books have none. */
export function* ownWorkerEntry(engine: StoreEngine, tenantId: string, workerId: string) {
  return yield* firstRow(
    engine.db.selectFrom('workers').selectAll().where('tenant_id', '=', tenantId).where('worker_id', '=', workerId),
  );
}

/** Refuses a worker the tenant has not registered on its own books (not another tenant's, not unknown). */
export function* requireOwnWorker(engine: StoreEngine, tenantId: string, workerId: string) {
  const worker = yield* ownWorkerEntry(engine, tenantId, workerId);
  if (worker === undefined) {
    throw new StoreError('not_found', `no worker ${workerId} registered by this tenant`, 'workerId');
  }
  return worker;
}
