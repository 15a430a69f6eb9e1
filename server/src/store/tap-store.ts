import type { Presence, SiteId, Tap, TapBatch, TapRejectReason, TerminalId } from '@ccus-gate/protocol';
import type { Selectable } from 'kysely';
import { presenceFor } from '../records/presence.js';
import { queueRecords, TouchedRecords } from '../records/record-queue.js';
import { type RedatedTapRow, redateTap, type UntrustedTap } from '../records/redate-taps.js';
import { isRetryable } from './engine/postgres-engine.js';
import { prepared } from './engine/prepared.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { firstRow, rows as selectRows, type Work } from './engine/work.js';
import type { RecordKey } from './record-queries.js';
import type { Taps } from './schema.js';
import { type InsertedTaps, type InsertMode, insertTaps, isTapStoredBefore } from './tap-insert.js';
import { type BatchTerminal, type TapRows, tapRows } from './tap-rows.js';
import { nextVersion } from './version-counter.js';

export type { BatchTerminal } from './tap-rows.js';

export interface StoredBatch {
  accepted: { from: number; to: number };
  rejected: { seq: number; reason: TapRejectReason; message: string }[];
  /** How many taps were new (not seen before). */
  inserted: number;
  /** Records created or changed by this batch (from the earliest tap that changed, when one did). */
  records: (RecordKey & { fromMs?: number })[];
}

/** The same card, direction and moment of the same boot: the same tap, whatever the wall clock said. */
function sameEvent(row: Selectable<Taps>, tap: Tap): boolean {
  return (
    row.tech === tap.card.tech &&
    row.card_id === tap.card.id &&
    row.direction === tap.direction &&
    row.boot_id === tap.bootId &&
    row.mono === tap.mono
  );
}

/**
 * How a tap sent again relates to the stored one with its sequence number. A terminal
 * corrects its pending taps once its clock synchronises, so the same tap may come again
 * with a corrected time: that is a correction (or, the other way round, a replay of the
 * older version), never a conflict.
 */
function compareTap(row: Selectable<Taps>, tap: Tap): 'replay' | 'correction' | 'conflict' {
  if (!sameEvent(row, tap)) return 'conflict';
  if (Date.parse(row.at) === Date.parse(tap.at)) return 'replay';
  const storedSynced = row.clock_synced === 1;
  if (!storedSynced && tap.clockSynced && tap.flags.includes('clock_corrected')) return 'correction';
  if (storedSynced && !tap.clockSynced && row.flags.includes('clock_corrected')) return 'replay';
  return 'conflict';
}

const TAP_COUNT = prepared((db, p: { terminalId: string }) =>
  db
    .selectFrom('taps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('terminal_id', '=', p.terminalId),
);

/**
 * The taps, as ingest stores them: one transaction per batch (the records it touches queued
 * in the same one), how many a terminal has sent, and who is on site after them.
 */
export class TapStore<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;
  /** The highest sequence number this store has stored for each terminal (one entry a terminal). */
  readonly #storedUpTo = new Map<string, number>();

  constructor(engine: E) {
    this.#engine = engine;
  }

  get #db() {
    return this.#engine.db;
  }

  /** Transactions the store can run at once (its engine's connections). */
  get connections(): number {
    return this.#engine.connections;
  }

  /**
   * Stores a batch idempotently by (terminal, seq) and queues the records it touches, all in
   * one transaction (on PostgreSQL, a new batch often in one statement, atomic on its own):
   * either the whole batch is in and its ack may go, or nothing is.
   */
  storeBatch(terminal: BatchTerminal, batch: TapBatch): Answer<E, StoredBatch> {
    const stored = this.storeBatches([{ terminal, batch }]);
    return (stored instanceof Promise ? stored.then(([one]) => one) : stored[0]) as Answer<E, StoredBatch>;
  }

  /**
   * Several batches (from different terminals, as they arrived together) in one transaction,
   * each as storeBatch would store it: one commit for them all, which is most of what a small
   * batch costs. All are in, or none is.
   */
  storeBatches(items: readonly { terminal: BatchTerminal; batch: TapBatch }[]): Answer<E, StoredBatch[]> {
    if (this.#engine.kind === 'sqlite') {
      return this.#engine.transaction(() => this.#storeBatches(items, 'keep')) as Answer<E, StoredBatch[]>;
    }
    return this.#storeOnPostgres(items) as Answer<E, StoredBatch[]>;
  }

  /**
   * Batches above what this store has stored for their terminals are thought all new and go in
   * by a plain INSERT (tap-insert.ts, `InsertMode`), one batch alone by that statement outside
   * a transaction; when a tap was stored before after all (a batch sent again after a lost ack,
   * perhaps to another server), they go in again keeping the stored taps.
   */
  async #storeOnPostgres(items: readonly { terminal: BatchTerminal; batch: TapBatch }[]): Promise<StoredBatch[]> {
    const store = (mode: InsertMode) =>
      this.#engine.transaction(() => this.#storeBatches(items, mode)) as Promise<StoredBatch[]>;
    const thoughtNew = items.every(({ terminal, batch }) => {
      const upTo = this.#storedUpTo.get(terminal.terminalId);
      return upTo === undefined || batch.taps.every((tap) => tap.seq > upTo);
    });
    let stored: StoredBatch[] | null = null;
    let mode: InsertMode = thoughtNew ? 'refuse' : 'keep';
    const [one] = items;
    if (mode === 'refuse' && items.length === 1 && one !== undefined) {
      try {
        const alone = await this.#storeAlone(one.terminal, one.batch);
        if (alone !== null) stored = [alone];
      } catch (error) {
        // A deadlock's victim stored nothing, and goes in a transaction, which is tried again.
        if (isTapStoredBefore(error)) mode = 'keep';
        else if (!isRetryable(error)) throw error;
      }
    }
    if (stored === null && mode === 'refuse') {
      try {
        stored = await store('refuse');
      } catch (error) {
        if (!isTapStoredBefore(error)) throw error;
      }
    }
    stored ??= await store('keep');
    for (const { terminal, batch } of items) {
      const last = Math.max(...batch.taps.map((tap) => tap.seq));
      this.#storedUpTo.set(terminal.terminalId, Math.max(last, this.#storedUpTo.get(terminal.terminalId) ?? 0));
    }
    return stored;
  }

  *#storeBatches(
    items: readonly { terminal: BatchTerminal; batch: TapBatch }[],
    mode: InsertMode,
  ): Work<StoredBatch[]> {
    const stored: StoredBatch[] = [];
    const unqueued: StoredBatch['records'] = [];
    for (const { terminal, batch } of items) {
      const { unqueued: left, ...one } = yield* this.#storeBatch(terminal, batch, mode);
      stored.push(one);
      unqueued.push(...left);
    }
    // Records are rebuilt after the ack (records/record-rebuild.ts), so a big backlog drains at
    // the speed of storing taps; the queue is written here, in the same transaction as the taps.
    yield* queueRecords(this.#engine, unqueued);
    return stored;
  }

  *#storeBatch(
    terminal: BatchTerminal,
    batch: TapBatch,
    mode: InsertMode,
  ): Work<StoredBatch & { unqueued: StoredBatch['records'] }> {
    const rows = tapRows(terminal, batch, this.#engine.now().toISOString());
    // The boots' untrusted taps stored before are read as they were before this batch: on
    // PostgreSQL by the INSERT itself, on SQLite just before it.
    const insert = yield* insertTaps(this.#engine, terminal.terminalId, rows.values, [...rows.offsets.keys()], mode);
    return yield* this.#afterInsert(terminal, batch, rows, insert);
  }

  /**
   * A batch whose taps are all synchronised, thought all new, by the INSERT alone, outside a
   * transaction: the statement is one, so it is atomic on its own, and the batch costs two round
   * trips less. Null when it stored nothing because a boot of the batch has taps stored before
   * whose time it corrects: that takes more statements, which must go in one transaction with it.
   * Throws as the plain INSERT does when a tap was stored before (`isTapStoredBefore`).
   */
  async #storeAlone(terminal: BatchTerminal, batch: TapBatch): Promise<StoredBatch | null> {
    const rows = tapRows(terminal, batch, this.#engine.now().toISOString());
    if (rows.values.some((row) => row.clock_synced === 0)) return null;
    return this.#engine.run(this.#insertAlone(terminal, batch, rows));
  }

  *#insertAlone(terminal: BatchTerminal, batch: TapBatch, rows: TapRows): Work<StoredBatch | null> {
    const boots = [...rows.offsets.keys()];
    const insert = yield* insertTaps(this.#engine, terminal.terminalId, rows.values, boots, 'alone');
    if (insert.untrustedBefore.length > 0) return null;
    // Every tap inserted, none to re-date, the days queued by the INSERT: no statement follows.
    const { unqueued: _, ...stored } = yield* this.#afterInsert(terminal, batch, rows, insert);
    return stored;
  }

  /** What follows a batch's INSERT: taps seen before compared, untrusted times corrected, the answer. */
  *#afterInsert(
    terminal: BatchTerminal,
    batch: TapBatch,
    { values, offsets }: TapRows,
    { inserted, untrustedBefore, queued }: InsertedTaps,
  ): Work<StoredBatch & { unqueued: StoredBatch['records'] }> {
    const rejected: StoredBatch['rejected'] = [];
    // The taps new to the store, as stored: each under the worker its card stands for.
    const stored = values.flatMap((row) =>
      inserted.has(row.seq) ? [{ ...row, worker_id: inserted.get(row.seq) as string | null }] : [],
    );
    // Every record the batch changes (its answer), and those still to queue: on PostgreSQL the
    // insert queued its new taps' days itself, and only what a correction moves is left.
    const touched = new TouchedRecords();
    const toQueue = new TouchedRecords();
    const moved = (siteId: string, workerId: string | null, day: string): void => {
      touched.touch(siteId, workerId, day);
      toQueue.touch(siteId, workerId, day);
    };
    for (const row of stored) {
      touched.touch(row.site_id, row.worker_id, row.working_day, row.at_ms as number);
      if (!queued) toQueue.touch(row.site_id, row.worker_id, row.working_day, row.at_ms as number);
    }
    const seenBefore = batch.taps.filter((tap) => !inserted.has(tap.seq));
    /** Stored taps this batch sent again corrected by the terminal itself: re-dated already. */
    const redated = new Set<number>();
    if (seenBefore.length > 0) {
      const previous = yield* selectRows(
        this.#db
          .selectFrom('taps')
          .selectAll()
          .where('terminal_id', '=', terminal.terminalId)
          .where(
            'seq',
            'in',
            seenBefore.map((tap) => tap.seq),
          ),
      );
      const bySeq = new Map(previous.map((row) => [row.seq, row]));
      // Seen before: a replay when it is the same tap, a conflict when it is not.
      for (const tap of seenBefore) {
        const before = bySeq.get(tap.seq) as Selectable<Taps>;
        const relation = compareTap(before, tap);
        if (relation === 'correction') {
          yield* this.#correctTap(before, Date.parse(tap.at) - tap.mono, moved);
          redated.add(tap.seq);
        } else if (relation === 'conflict') {
          rejected.push({
            seq: tap.seq,
            reason: 'conflict',
            message: `seq ${tap.seq} is already stored with different content (card ${before.card_id} at ${before.at})`,
          });
        }
      }
    }
    // The boots' untrusted taps: those stored before (but for any just re-dated) and this
    // batch's own new ones, as a query after the insert would find them.
    const untrusted: UntrustedTap[] = [
      ...untrustedBefore.filter((row) => !redated.has(row.seq)),
      ...stored.filter((row) => row.clock_synced === 0),
    ];
    for (const row of untrusted) {
      const offsetMs = offsets.get(row.boot_id);
      if (offsetMs !== undefined) yield* this.#correctTap(row, offsetMs, moved);
    }
    const first = batch.taps[0] as Tap;
    const last = batch.taps[batch.taps.length - 1] as Tap;
    return {
      accepted: { from: first.seq, to: last.seq },
      rejected,
      inserted: inserted.size,
      records: touched.keys,
      unqueued: toQueue.keys,
    };
  }

  /** Re-dates one stored tap (records/redate-taps.ts); both the old and the new day's records change. */
  *#correctTap(
    row: RedatedTapRow,
    offsetMs: number,
    touch: (siteId: string, workerId: string | null, day: string) => void,
  ): Work<void> {
    const moved = yield* redateTap(this.#engine, row, offsetMs);
    for (const day of moved.days) touch(moved.siteId, moved.workerId, day);
  }

  /** Who is on site now (records/presence.ts), as a versioned snapshot for the site's terminals. */
  presence(siteId: SiteId): Answer<E, Presence> {
    return this.#engine.transaction(() => this.#presence(siteId)) as Answer<E, Presence>;
  }

  *#presence(siteId: SiteId): Work<Presence> {
    const present = yield* presenceFor(this.#engine, siteId, this.#engine.now());
    return { ...present, version: yield* nextVersion(this.#engine) };
  }

  /** How many taps the terminal has sent (each once). */
  count(terminalId: TerminalId): Answer<E, number> {
    return this.#engine.run(this.#count(terminalId)) as Answer<E, number>;
  }

  *#count(terminalId: TerminalId): Work<number> {
    const counted = yield* firstRow(TAP_COUNT(this.#engine, { terminalId }));
    return counted?.n ?? 0;
  }
}
