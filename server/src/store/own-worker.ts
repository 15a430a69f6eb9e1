import type { StoreEngine } from './engine/store-engine.js';
import { firstRow, type Work } from './engine/work.js';
import { StoreError } from './store-error.js';

/** Refuses a worker the tenant has not registered on its own books (not another tenant's, not unknown). */
export function* requireOwnWorker(engine: StoreEngine, tenantId: string, workerId: string): Work<void> {
  const worker = yield* firstRow(
    engine.db
      .selectFrom('workers')
      .select('worker_id')
      .where('tenant_id', '=', tenantId)
      .where('worker_id', '=', workerId),
  );
  if (worker === undefined) {
    throw new StoreError('not_found', `no worker ${workerId} registered by this tenant`, 'workerId');
  }
}
