import type { Direction, ShiftState } from '@ccus-gate/protocol';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { OutboxSteps } from '../ccus/outbox-store.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import type { Taps } from '../store/schema.js';
import { buildRecord, type RecordOverride, type RecordTap } from './build-record.js';
import { heldReason } from './record-flags.js';
import { queuedRecords, type RecordKey } from './record-queue.js';
import { recordTaps, repairStretch } from './shift-stretch.js';
import { workerRole } from './worker-role.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Queued days this close together are rebuilt as one stretch. */
const CLUSTER_DAYS = 5;

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/**
 * Builds work records from taps, the one place that does: it takes the queued worker-days,
 * pairs each worker's taps at the site into shifts (every terminal and reader, in time
 * order), builds each day's record with its flags, trade and position, stores it, and offers
 * it to the CCUS outbox.
 *
 * Several servers on PostgreSQL rebuild together: each takes queued days no other is
 * building (SKIP LOCKED), and one worker's timeline at a site is paired by one of them at a
 * time (a lock held to the transaction's end), so the second reads what the first stored.
 */
export class RecordRebuild<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;
  readonly #outbox: OutboxSteps;

  constructor(engine: E, outbox: OutboxSteps) {
    this.#engine = engine;
    this.#outbox = outbox;
  }

  get #db() {
    return this.#engine.db;
  }

  /** How many worker-days wait to be rebuilt. */
  queued(): Answer<E, number> {
    return this.#engine.run(queuedRecords(this.#engine)) as Answer<E, number>;
  }

  /**
   * Rebuilds queued records in one transaction and returns the keys of the records built,
   * stopping once `budgetMs` have passed (a stretch with many taps takes long). At least one
   * stretch is built each call, so the queue always moves.
   */
  rebuildQueued(limit = 200, budgetMs = Number.POSITIVE_INFINITY): Answer<E, RecordKey[]> {
    return this.#engine.transaction(() => this.#rebuildQueued(limit, budgetMs)) as Answer<E, RecordKey[]>;
  }

  *#rebuildQueued(limit: number, budgetMs: number): Work<RecordKey[]> {
    const started = performance.now();
    let due = this.#db
      .selectFrom('record_queue')
      .select(['site_id', 'worker_id', 'working_day', 'from_ms'])
      .orderBy('site_id')
      .orderBy('worker_id')
      .orderBy('working_day')
      .limit(limit);
    if (this.#engine.kind === 'postgres') due = due.forUpdate().skipLocked();
    const queued = yield* rows(due);
    const byWorker = new Map<
      string,
      { siteId: string; workerId: string; days: string[]; fromMs: Map<string, number | null> }
    >();
    for (const row of queued) {
      const id = `${row.site_id}\u0000${row.worker_id}`;
      const entry = byWorker.get(id) ?? {
        siteId: row.site_id,
        workerId: row.worker_id,
        days: [],
        fromMs: new Map<string, number | null>(),
      };
      entry.days.push(row.working_day);
      entry.fromMs.set(row.working_day, row.from_ms);
      byWorker.set(id, entry);
    }
    const built: RecordKey[] = [];
    for (const { siteId, workerId, days, fromMs } of byWorker.values()) {
      if (this.#engine.kind === 'postgres') {
        // In the queue's order, so two servers never wait on each other's workers crosswise.
        yield* rows(
          sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${siteId}/${workerId}`}, 0))`.compile(this.#db),
        );
      }
      for (const cluster of clusters(days.sort())) {
        const times = cluster.map((day) => fromMs.get(day) ?? null);
        const earliest = times.includes(null) ? null : Math.min(...(times as number[]));
        built.push(...(yield* this.#rebuildStretch(siteId, workerId, cluster, earliest)));
        yield* execute(
          this.#db
            .deleteFrom('record_queue')
            .where('site_id', '=', siteId)
            .where('worker_id', '=', workerId)
            .where('working_day', 'in', cluster),
        );
        if (performance.now() - started >= budgetMs) return built;
      }
    }
    return built;
  }

  *#rebuildStretch(siteId: string, workerId: string, queued: string[], fromMs: number | null): Work<RecordKey[]> {
    const site = yield* firstRow(
      this.#db.selectFrom('sites').select(['day_boundary', 'max_shift_hours']).where('site_id', '=', siteId),
    );
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
      const taps = yield* recordTaps(this.#engine, key, site.day_boundary, maxShiftMs);
      if (yield* this.#writeRecord(key, taps, maxShiftMs)) built.push(key);
    }
    return built;
  }

  /** Where the worker stands after their latest tap at the site: who is on site (records/presence.ts). */
  *#notePresence(siteId: string, workerId: string, latest: { state: ShiftState | null; atMs: number }): Work<void> {
    if (latest.state === null) {
      yield* execute(
        this.#db.deleteFrom('worker_presence').where('site_id', '=', siteId).where('worker_id', '=', workerId),
      );
      return;
    }
    yield* execute(
      this.#db
        .insertInto('worker_presence')
        .values({
          site_id: siteId,
          worker_id: workerId,
          last_direction: latest.state.last,
          record_day: latest.state.recordDay,
          shift_start_ms: latest.state.shiftStartMs,
          last_at_ms: latest.atMs,
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
  }

  #record(key: RecordKey) {
    return this.#db
      .updateTable('records')
      .where('site_id', '=', key.siteId)
      .where('worker_id', '=', key.workerId)
      .where('working_day', '=', key.workingDay);
  }

  /** Builds and stores one record; false when it had nothing left and is gone. */
  *#writeRecord(key: RecordKey, taps: Selectable<Taps>[], maxShiftMs: number): Work<boolean> {
    const override = yield* firstRow(
      this.#db
        .selectFrom('record_overrides')
        .select(['first_in', 'last_out', 'trade', 'position'])
        .where('site_id', '=', key.siteId)
        .where('worker_id', '=', key.workerId)
        .where('working_day', '=', key.workingDay),
    );
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
        yield* execute(
          this.#db
            .deleteFrom('records')
            .where('site_id', '=', key.siteId)
            .where('worker_id', '=', key.workerId)
            .where('working_day', '=', key.workingDay),
        );
        return false;
      }
      yield* execute(
        this.#record(key)
          .set((eb) => ({ tap_count: 0, flags: '["withdrawn"]', revision: eb('revision', '+', 1), updated_at: now }))
          .where('flags', '<>', '["withdrawn"]'),
      );
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
    const flags = JSON.stringify(detail.flags);
    yield* execute(
      this.#db
        .insertInto('records')
        .values({
          ...{ site_id: key.siteId, worker_id: key.workerId, working_day: key.workingDay },
          first_in: detail.firstIn,
          last_out: detail.lastOut,
          tap_count: detail.tapCount,
          flags,
          trade,
          position,
          revision: 1,
          updated_at: now,
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
            // Unchanged, it keeps its revision: nothing to show or send.
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
