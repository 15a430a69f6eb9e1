import type { Direction, ShiftState } from '@ccus-gate/protocol';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { OutboxSteps } from '../ccus/outbox-store.js';
import { prepared } from '../store/engine/prepared.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import type { Taps } from '../store/schema.js';
import { buildRecord, type RecordOverride, type RecordTap } from './build-record.js';
import { heldReason } from './record-flags.js';
import { queuedRecords, type RecordKey } from './record-queue.js';
import { type RECORD_TAP_COLUMNS, recordTaps, repairStretch } from './shift-stretch.js';
import { workerRole } from './worker-role.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Queued days this close together are rebuilt as one stretch. */
const CLUSTER_DAYS = 5;

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

type Key = { siteId: string; workerId: string; workingDay: string };
type QueuedRow = { site_id: string; worker_id: string; working_day: string; from_ms: number | null };
/** One worker's queued days at a site, with the earliest change of each (null: the whole day). */
type QueuedWorker = { siteId: string; workerId: string; days: string[]; fromMs: Map<string, number | null> };
type BuildTap = Pick<Selectable<Taps>, (typeof RECORD_TAP_COLUMNS)['build'][number]>;
/**
 * The days due, in the queue's order. Read without locks: on PostgreSQL each worker's days are
 * claimed in a transaction of that worker's own (WORKER_DAYS).
 */
const DUE = prepared((db, p: { limit: number }) =>
  db
    .selectFrom('record_queue')
    .select(['site_id', 'worker_id', 'working_day', 'from_ms'])
    .orderBy('site_id')
    .orderBy('worker_id')
    .orderBy('working_day')
    .limit(p.limit),
);
/**
 * One worker's timeline at a site is paired by one server at a time, until its transaction
 * ends. A server that finds it taken goes on to the next worker first, and waits for it last.
 */
const TRY_WORKER_LOCK = prepared((db, p: { key: string }) => ({
  compile: () =>
    sql<{ got: boolean }>`SELECT pg_try_advisory_xact_lock(hashtextextended(${p.key}, 0)) AS got`.compile(db),
}));
const WORKER_LOCK = prepared((db, p: { key: string }) => ({
  compile: () =>
    sql<{ got: boolean }>`SELECT true AS got FROM pg_advisory_xact_lock(hashtextextended(${p.key}, 0))`.compile(db),
}));
/**
 * A rebuild is derived from what is stored and its queue entries go with it: lost in a crash,
 * both come back and the days are built again. So its commit need not wait for the disk; a
 * later synchronous commit (an ack, the forwarder's claim) flushes it with its own.
 */
const NO_FLUSH = prepared((db) => ({
  compile: () => sql<unknown>`SET LOCAL synchronous_commit = off`.compile(db),
}));
/** The worker's queued days as they are now, held until the rebuild commits. */
const WORKER_DAYS = prepared((db, p: { siteId: string; workerId: string }) =>
  db
    .selectFrom('record_queue')
    .select(['site_id', 'worker_id', 'working_day', 'from_ms'])
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .orderBy('working_day')
    .forUpdate(),
);
const DONE = prepared((db, p: Key) =>
  db
    .deleteFrom('record_queue')
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay),
);
const SITE_RULES = prepared((db, p: { siteId: string }) =>
  db.selectFrom('sites').select(['day_boundary', 'max_shift_hours']).where('site_id', '=', p.siteId),
);
const OFF_SITE = prepared((db, p: { siteId: string; workerId: string }) =>
  db.deleteFrom('worker_presence').where('site_id', '=', p.siteId).where('worker_id', '=', p.workerId),
);
const PRESENT = prepared(
  (db, p: { siteId: string; workerId: string; last: string; recordDay: string; shiftStartMs: number; atMs: number }) =>
    db
      .insertInto('worker_presence')
      .values({
        site_id: p.siteId,
        worker_id: p.workerId,
        last_direction: p.last,
        record_day: p.recordDay,
        shift_start_ms: p.shiftStartMs,
        last_at_ms: p.atMs,
      })
      .onConflict((conflict) =>
        conflict.columns(['site_id', 'worker_id']).doUpdateSet((eb) => ({
          last_direction: eb.ref('excluded.last_direction'),
          record_day: eb.ref('excluded.record_day'),
          shift_start_ms: eb.ref('excluded.shift_start_ms'),
          last_at_ms: eb.ref('excluded.last_at_ms'),
        })),
      ),
);
const OVERRIDE = prepared((db, p: Key) =>
  db
    .selectFrom('record_overrides')
    .select(['first_in', 'last_out', 'trade', 'position'])
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay),
);
const GONE = prepared((db, p: Key) =>
  db
    .deleteFrom('records')
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay),
);
const WITHDRAWN = prepared((db, p: Key & { now: string }) =>
  db
    .updateTable('records')
    .set((eb) => ({ tap_count: 0, flags: '["withdrawn"]', revision: eb('revision', '+', 1), updated_at: p.now }))
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay)
    .where('flags', '<>', '["withdrawn"]'),
);
type Built = Key & {
  firstIn: string | null;
  lastOut: string | null;
  tapCount: number;
  flags: string;
  trade: string | null;
  position: string | null;
  now: string;
};
/** Stored as built; unchanged, it keeps its revision: nothing to show or send. */
const STORE_RECORD = prepared((db, p: Built) =>
  db
    .insertInto('records')
    .values({
      site_id: p.siteId,
      worker_id: p.workerId,
      working_day: p.workingDay,
      first_in: p.firstIn,
      last_out: p.lastOut,
      tap_count: p.tapCount,
      flags: p.flags,
      trade: p.trade,
      position: p.position,
      revision: 1,
      updated_at: p.now,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['site_id', 'worker_id', 'working_day'])
        .doUpdateSet((eb) => ({
          first_in: eb.ref('excluded.first_in'),
          last_out: eb.ref('excluded.last_out'),
          tap_count: eb.ref('excluded.tap_count'),
          flags: eb.ref('excluded.flags'),
          trade: eb.ref('excluded.trade'),
          position: eb.ref('excluded.position'),
          revision: eb('records.revision', '+', 1),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('records.first_in', 'is distinct from', eb.ref('excluded.first_in')),
            eb('records.last_out', 'is distinct from', eb.ref('excluded.last_out')),
            eb('records.tap_count', '<>', eb.ref('excluded.tap_count')),
            eb('records.flags', '<>', eb.ref('excluded.flags')),
            eb('records.trade', 'is distinct from', eb.ref('excluded.trade')),
            eb('records.position', 'is distinct from', eb.ref('excluded.position')),
          ]),
        ),
    ),
);

/** Queued days grouped by worker, in the queue's order. */
function byWorker(queued: readonly QueuedRow[]): QueuedWorker[] {
  const workers = new Map<string, QueuedWorker>();
  for (const row of queued) {
    const id = `${row.site_id}\u0000${row.worker_id}`;
    const entry: QueuedWorker = workers.get(id) ?? {
      siteId: row.site_id,
      workerId: row.worker_id,
      days: [],
      fromMs: new Map(),
    };
    entry.days.push(row.working_day);
    entry.fromMs.set(row.working_day, row.from_ms);
    workers.set(id, entry);
  }
  return [...workers.values()];
}

/**
 * Builds work records from taps, the one place that does: it takes the queued worker-days,
 * pairs each worker's taps at the site into shifts (every terminal and reader, in time
 * order), builds each day's record with its flags, trade and position, stores it, and offers
 * it to the CCUS outbox.
 *
 * Several servers on PostgreSQL rebuild together: one worker's timeline at a site is paired by
 * one of them at a time (a lock held to the transaction's end; another server skips that
 * worker), and its queued days are claimed in the same transaction, so a change queued while
 * it is built is queued again after it and built next time.
 */
export class RecordRebuild<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;
  readonly #outbox: OutboxSteps;

  constructor(engine: E, outbox: OutboxSteps) {
    this.#engine = engine;
    this.#outbox = outbox;
  }

  /** How many worker-days wait to be rebuilt. */
  queued(): Answer<E, number> {
    return this.#engine.run(queuedRecords(this.#engine)) as Answer<E, number>;
  }

  /**
   * Rebuilds queued records and returns the keys of the records built, stopping once
   * `budgetMs` have passed (a stretch with many taps takes long). At least one stretch is
   * built each call, so the queue always moves. On SQLite in one transaction (one writer: a
   * commit each would cost more than the work); on PostgreSQL a transaction per worker, so a
   * tap batch queueing one of that worker's days waits at most for that worker, never for a
   * whole chunk (which held every ack on the days it had claimed).
   */
  rebuildQueued(limit = 200, budgetMs = Number.POSITIVE_INFINITY): Answer<E, RecordKey[]> {
    const started = performance.now();
    const spent = () => performance.now() - started >= budgetMs;
    if (this.#engine.kind === 'postgres') return this.#rebuildEach(limit, spent) as Answer<E, RecordKey[]>;
    const self = this;
    return this.#engine.transaction(function* () {
      const built: RecordKey[] = [];
      for (const worker of byWorker(yield* rows(DUE(self.#engine, { limit })))) {
        built.push(...(yield* self.#rebuildWorker(worker, spent)));
        if (spent()) break;
      }
      return built;
    }) as Answer<E, RecordKey[]>;
  }

  async #rebuildEach(limit: number, spent: () => boolean): Promise<RecordKey[]> {
    const built: RecordKey[] = [];
    const taken: QueuedWorker[] = [];
    for (const worker of byWorker(await this.#engine.run(rows(DUE(this.#engine, { limit }))))) {
      const keys = await this.#rebuildClaimed(worker, spent, TRY_WORKER_LOCK);
      if (keys === null) taken.push(worker);
      else built.push(...keys);
      if (spent() && built.length > 0) return built;
    }
    // Workers another server was building: what it had not claimed is built here once it is done.
    for (const worker of taken) {
      built.push(...((await this.#rebuildClaimed(worker, spent, WORKER_LOCK)) ?? []));
      if (spent() && built.length > 0) break;
    }
    return built;
  }

  /** One worker's queued days in a transaction of their own; null when another server holds the worker. */
  #rebuildClaimed(
    { siteId, workerId }: QueuedWorker,
    spent: () => boolean,
    lock: typeof TRY_WORKER_LOCK,
  ): Promise<RecordKey[] | null> {
    const engine = this.#engine;
    const self = this;
    return Promise.resolve(
      engine.transaction(function* () {
        yield* execute(NO_FLUSH(engine, {}));
        const held = yield* firstRow(lock(engine, { key: `${siteId}/${workerId}` }));
        if (held?.got !== true) return null;
        const [claimed] = byWorker(yield* rows(WORKER_DAYS(engine, { siteId, workerId })));
        return claimed === undefined ? [] : yield* self.#rebuildWorker(claimed, spent);
      }),
    );
  }

  /** Rebuilds the worker's queued days, stretch by stretch, each taken off the queue once built. */
  *#rebuildWorker({ siteId, workerId, days, fromMs }: QueuedWorker, spent: () => boolean): Work<RecordKey[]> {
    const built: RecordKey[] = [];
    for (const cluster of clusters(days.sort())) {
      const times = cluster.map((day) => fromMs.get(day) ?? null);
      const earliest = times.includes(null) ? null : Math.min(...(times as number[]));
      built.push(...(yield* this.#rebuildStretch(siteId, workerId, cluster, earliest)));
      for (const day of cluster) yield* execute(DONE(this.#engine, { siteId, workerId, workingDay: day }));
      if (spent()) break;
    }
    return built;
  }

  *#rebuildStretch(siteId: string, workerId: string, queued: string[], fromMs: number | null): Work<RecordKey[]> {
    const site = yield* firstRow(SITE_RULES(this.#engine, { siteId }));
    if (site === undefined) return [];
    const maxShiftMs = site.max_shift_hours * HOUR_MS;
    const change = yield* repairStretch(
      this.#engine,
      { siteId, dayBoundary: site.day_boundary, maxShiftMs },
      workerId,
      queued,
      fromMs,
    );
    if (change.latest !== null) yield* this.#notePresence(siteId, workerId, change.latest);
    const built: RecordKey[] = [];
    for (const day of change.days) {
      const key = { siteId, workerId, workingDay: day };
      const taps = yield* recordTaps(this.#engine, key, site.day_boundary, maxShiftMs, 'build');
      if (yield* this.#writeRecord(key, taps, maxShiftMs)) built.push(key);
    }
    return built;
  }

  /** Where the worker stands after their latest tap at the site: who is on site (records/presence.ts). */
  *#notePresence(siteId: string, workerId: string, latest: { state: ShiftState | null; atMs: number }): Work<void> {
    if (latest.state === null) {
      yield* execute(OFF_SITE(this.#engine, { siteId, workerId }));
      return;
    }
    yield* execute(PRESENT(this.#engine, { siteId, workerId, ...latest.state, atMs: latest.atMs }));
  }

  /** Builds and stores one record; false when it had nothing left and is gone. */
  *#writeRecord(key: RecordKey, taps: BuildTap[], maxShiftMs: number): Work<boolean> {
    const override = yield* firstRow(OVERRIDE(this.#engine, key));
    const times: RecordOverride | null =
      override === undefined || (override.first_in === null && override.last_out === null)
        ? null
        : { firstIn: override.first_in, lastOut: override.last_out };
    const counted = taps.filter((tap) => tap.effective_direction !== null);
    const now = this.#engine.now().toISOString();
    if (counted.length === 0 && times === null) {
      // Its taps moved to another day or were voided. Not yet at CCUS: gone with them.
      // Already at CCUS: kept as it is, for a person to correct there.
      if (yield* this.#outbox.withdraw(key)) {
        yield* execute(GONE(this.#engine, key));
        return false;
      }
      yield* execute(WITHDRAWN(this.#engine, { ...key, now }));
      return true;
    }
    const role = yield* workerRole(this.#engine, key);
    const trade = override?.trade ?? role.trade;
    const position = override?.position ?? role.position;
    const detail = buildRecord(
      taps.map((row): RecordTap => {
        const flags = JSON.parse(row.flags) as string[];
        const atMs = row.at_ms as number;
        return {
          direction: row.effective_direction as Direction | null,
          at: row.at,
          atMs,
          clockSynced: row.clock_synced === 1,
          clockCorrected: flags.includes('clock_corrected'),
          clock: { key: `${row.terminal_id}/${row.boot_id}`, offsetMs: atMs - row.mono },
          implausible: flags.includes('implausible_time'),
          unknownAtGate: row.terminal_worker_id === null,
        };
      }),
      { onRoster: role.onRoster, trade, maxShiftMs },
      times,
    );
    yield* execute(
      STORE_RECORD(this.#engine, {
        ...key,
        firstIn: detail.firstIn,
        lastOut: detail.lastOut,
        tapCount: detail.tapCount,
        flags: JSON.stringify(detail.flags),
        trade,
        position,
        now,
      }),
    );
    yield* this.#outbox.offer(
      key,
      { firstIn: detail.firstIn, lastOut: detail.lastOut, trade, position },
      heldReason(detail),
    );
    return true;
  }
}

/** Sorted days split where two are more than CLUSTER_DAYS apart. */
function clusters(days: string[]): string[][] {
  const out: string[][] = [];
  for (const day of days) {
    const current = out.at(-1);
    if (current !== undefined && dayMs(day) - dayMs(current.at(-1) as string) <= CLUSTER_DAYS * DAY_MS) {
      current.push(day);
    } else {
      out.push([day]);
    }
  }
  return out;
}
