import type { OnConflictBuilder } from 'kysely';
import { jsonRows } from '../store/engine/json-rows.js';
import { prepared, preparedRows } from '../store/engine/prepared.js';
import type { StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, type Work } from '../store/engine/work.js';
import type { DB } from '../store/schema.js';

/** A work record's identity: one worker, one site, one working day. */
export interface RecordKey {
  siteId: string;
  workerId: string;
  workingDay: string;
}

type QueuedDay = {
  site_id: string;
  worker_id: string;
  working_day: string;
  from_ms: number | null;
};

const QUEUE_COLUMNS = ['site_id', 'worker_id', 'working_day', 'from_ms'] as const satisfies (keyof QueuedDay)[];

/**
 * A day queued again keeps its earliest change; a change without a time asks for the whole
 * day. A row that stays as it was is not written again: taps come in time order, so most days
 * queued again already start earlier, and rewriting each (a new row version on PostgreSQL, with
 * its index entries) was a large part of a tap batch's INSERT there.
 */
export const keepEarliest = (conflict: OnConflictBuilder<DB, 'record_queue'>) =>
  conflict
    .columns(['site_id', 'worker_id', 'working_day'])
    .doUpdateSet((eb) => ({ from_ms: eb.ref('excluded.from_ms') }))
    .where((eb) =>
      eb.and([
        eb('record_queue.from_ms', 'is not', null),
        eb.or([eb('excluded.from_ms', 'is', null), eb('excluded.from_ms', '<', eb.ref('record_queue.from_ms'))]),
      ]),
    );

/** On SQLite, the most days one statement queues: each count of rows is a statement compiled and kept. */
const QUEUE_ROWS = 100;
const QUEUE = preparedRows<QueuedDay, unknown>(QUEUE_COLUMNS, (db, days) =>
  db.insertInto('record_queue').values(days).onConflict(keepEarliest),
);
/** On PostgreSQL, any number of days in one statement from one JSON array, parsed once per connection. */
const QUEUE_JSON = prepared((db, p: { days: string }) =>
  db
    .insertInto('record_queue')
    .columns(QUEUE_COLUMNS)
    .expression(jsonRows('record_queue', QUEUE_COLUMNS, p.days))
    .onConflict(keepEarliest),
);
const QUEUED = prepared((db) => db.selectFrom('record_queue').select((eb) => eb.fn.countAll<number>().as('n')));

/**
 * The worker-days whose records must be built again: written in the same transaction as the
 * change that calls for it (taps stored, a card bound, a roster place, a correction), so a crash
 * in between loses nothing. A queued day means "around this day": the rebuild pairs the
 * worker's shifts again there, since an exit may close the day before. `fromMs`, when given,
 * is the earliest tap that changed (new taps): pairing then starts just before it, not at the
 * day's start. Several changes to one day keep the earliest; one without a time, the whole day.
 */
export function* queueRecords(engine: StoreEngine, keys: Iterable<RecordKey & { fromMs?: number }>): Work<void> {
  // One statement for them all; PostgreSQL refuses one that would update a row twice.
  const byKey = new Map<string, QueuedDay>();
  for (const key of keys) {
    const id = `${key.siteId}\u0000${key.workerId}\u0000${key.workingDay}`;
    const fromMs = key.fromMs ?? null;
    const seen = byKey.get(id);
    if (seen === undefined) {
      byKey.set(id, { site_id: key.siteId, worker_id: key.workerId, working_day: key.workingDay, from_ms: fromMs });
    } else {
      seen.from_ms = seen.from_ms === null || fromMs === null ? null : Math.min(seen.from_ms, fromMs);
    }
  }
  // In one order everywhere, so two servers queueing the same days lock them in the same order
  // (not each waiting on the other); on SQLite in statements of at most QUEUE_ROWS rows, so a
  // group of batches compiles no statement of its own size.
  const days = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, day]) => day);
  if (days.length === 0) return;
  if (engine.kind === 'postgres') {
    yield* execute(QUEUE_JSON(engine, { days: JSON.stringify(days) }));
    return;
  }
  for (let from = 0; from < days.length; from += QUEUE_ROWS) {
    yield* execute(QUEUE(engine, days.slice(from, from + QUEUE_ROWS)));
  }
}

/**
 * The records a change touches, each once: with the earliest tap that changed (pairing starts
 * there), or with none when a tap moved and the whole day must be paired again.
 */
export class TouchedRecords {
  readonly #keys = new Map<string, RecordKey & { fromMs?: number }>();

  touch(siteId: string, workerId: string | null, workingDay: string, atMs?: number): void {
    if (workerId === null) return;
    const id = `${siteId}/${workerId}/${workingDay}`;
    const seen = this.#keys.get(id);
    if (seen === undefined) {
      this.#keys.set(id, { siteId, workerId, workingDay, ...(atMs === undefined ? {} : { fromMs: atMs }) });
    } else if (seen.fromMs !== undefined) {
      if (atMs === undefined) delete seen.fromMs;
      else seen.fromMs = Math.min(seen.fromMs, atMs);
    }
  }

  get keys(): (RecordKey & { fromMs?: number })[] {
    return [...this.#keys.values()];
  }
}

/** Every record the worker has at the site (a roster place or trade changed). */
export function* queueWorkerRecords(engine: StoreEngine, siteId: string, workerId: string): Work<void> {
  yield* execute(
    engine.db
      .insertInto('record_queue')
      .columns(['site_id', 'worker_id', 'working_day'])
      .expression(
        engine.db
          .selectFrom('records')
          .select(['site_id', 'worker_id', 'working_day'])
          .where('site_id', '=', siteId)
          .where('worker_id', '=', workerId),
      )
      .onConflict((conflict) =>
        conflict.columns(['site_id', 'worker_id', 'working_day']).doUpdateSet({ from_ms: null }),
      ),
  );
}

/** How many records wait to be built. */
export function* queuedRecords(engine: StoreEngine): Work<number> {
  const counted = yield* firstRow(QUEUED(engine, {}));
  return counted?.n ?? 0;
}
