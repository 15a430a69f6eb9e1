import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';

/** Something a server changed that another server's live pages show. */
export type Change = { kind: 'taps' | 'status'; terminalId: string } | { kind: 'records'; siteIds: string[] };

export interface FedChange {
  id: number;
  change: Change;
}

/**
 * The change feed's rows: appended by each server, read by the others, pruned after a while.
 * Servers on SQLite poll it (change-feed.ts); on PostgreSQL they notify each other instead
 * (notified-change-feed.ts).
 */
export class ChangeFeedStore<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;

  constructor(engine: E) {
    this.#engine = engine;
  }

  get #db() {
    return this.#engine.db;
  }

  note(serverId: string, change: Change): Answer<E, void> {
    return this.#engine.run(this.#note(serverId, change)) as Answer<E, void>;
  }

  *#note(serverId: string, change: Change): Work<void> {
    yield* execute(
      this.#db.insertInto('change_feed').values({
        server_id: serverId,
        kind: change.kind,
        terminal_id: 'terminalId' in change ? change.terminalId : null,
        site_ids: 'siteIds' in change ? JSON.stringify(change.siteIds) : null,
        at: this.#engine.now().toISOString(),
      }),
    );
  }

  /** The newest id now: a server that starts follows from here, not from the past. */
  last(): Answer<E, number> {
    return this.#engine.run(this.#last()) as Answer<E, number>;
  }

  *#last(): Work<number> {
    const newest = yield* firstRow(this.#db.selectFrom('change_feed').select((eb) => eb.fn.max('id').as('id')));
    return Number(newest?.id ?? 0);
  }

  /** Other servers' changes after `afterId`, oldest first. */
  since(afterId: number, serverId: string, limit: number): Answer<E, FedChange[]> {
    return this.#engine.run(this.#since(afterId, serverId, limit)) as Answer<E, FedChange[]>;
  }

  *#since(afterId: number, serverId: string, limit: number): Work<FedChange[]> {
    const found = yield* rows(
      this.#db
        .selectFrom('change_feed')
        .select(['id', 'kind', 'terminal_id', 'site_ids'])
        .where('id', '>', afterId)
        .where('server_id', '<>', serverId)
        .orderBy('id')
        .limit(limit),
    );
    return found.map((row) => ({
      id: Number(row.id),
      change:
        row.kind === 'records'
          ? { kind: 'records', siteIds: JSON.parse(row.site_ids ?? '[]') as string[] }
          : { kind: row.kind as 'taps' | 'status', terminalId: row.terminal_id ?? '' },
    }));
  }

  /** Forgets changes older than `before` (ISO time): every server has long read them. */
  prune(before: string): Answer<E, number> {
    return this.#engine.run(execute(this.#db.deleteFrom('change_feed').where('at', '<', before))) as Answer<E, number>;
  }
}
