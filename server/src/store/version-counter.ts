import type { StoreEngine } from './engine/store-engine.js';
import { firstRow, type Work } from './engine/work.js';

/** The next value of the one counter that roster, config and presence versions share. */
export function* nextVersion(engine: StoreEngine): Work<number> {
  const next = yield* firstRow(
    engine.db
      .updateTable('counters')
      .set((eb) => ({ value: eb('value', '+', 1) }))
      .where('name', '=', 'version')
      .returning('value'),
  );
  return next?.value as number;
}
