import type { StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, type Work } from './engine/work.js';

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

/** Moves a terminal's config version on, so its config is sent again (what it is offered changed). */
export function* bumpTerminalConfig(engine: StoreEngine, terminalId: string): Work<void> {
  const version = yield* nextVersion(engine);
  yield* execute(
    engine.db.updateTable('terminals').set({ config_version: version }).where('terminal_id', '=', terminalId),
  );
}

/** Moves a site's roster version on, so its terminals are sent the roster again. */
export function* bumpRosterVersion(engine: StoreEngine, siteId: string): Work<void> {
  const version = yield* nextVersion(engine);
  yield* execute(engine.db.updateTable('sites').set({ roster_version: version }).where('site_id', '=', siteId));
}
