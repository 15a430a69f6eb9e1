import type { Kysely } from 'kysely';
import type { RecordKey } from '../records/record-queue.js';
import { prepared } from '../store/engine/prepared.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import type { DB } from '../store/schema.js';
import type { CcusSubmission } from './gateway.js';
import { coalescedAfter, contentOf, type OutboxEntry, offered, type SubmissionContent } from './outbox-state.js';

export type { SubmissionContent } from './outbox-state.js';

export interface OutboxItem extends RecordKey, SubmissionContent {
  idempotencyKey: string;
  attempts: number;
  companyId: string;
}

/** What CCUS is sent for a claimed record. */
export function submissionOf(item: OutboxItem): CcusSubmission {
  return {
    idempotencyKey: item.idempotencyKey,
    companyId: item.companyId,
    siteId: item.siteId,
    workerId: item.workerId,
    workingDay: item.workingDay,
    entryAt: item.firstIn,
    exitAt: item.lastOut,
    trade: item.trade,
    position: item.position,
  };
}

export interface OutboxOptions {
  /** After a record has been sent, later changes wait this long at most before going together. */
  coalesceMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { coalesceMs: 10 * 60_000 };

type Key = { siteId: string; workerId: string; workingDay: string };
// Offered at each record build: compiled once (store/engine/prepared.ts).
const ENTER = prepared(
  (db, p: Key & { idempotencyKey: string; state: string; now: string; held: string | null; content: string }) =>
    db
      .insertInto('ccus_outbox')
      .values({
        site_id: p.siteId,
        worker_id: p.workerId,
        working_day: p.workingDay,
        idempotency_key: p.idempotencyKey,
        state: p.state,
        next_attempt_at: p.now,
        held_reason: p.held,
        content: p.content,
      })
      .onConflict((conflict) => conflict.columns(['site_id', 'worker_id', 'working_day']).doNothing()),
);
/** Another server's builder, or its forwarder marking the record, waits until this is decided. */
const ENTRY = prepared((db, p: Key, kind) => {
  const read = db
    .selectFrom('ccus_outbox')
    .select(['state', 'content', 'sent_content', 'held_reason', 'next_attempt_at', 'last_sent_at', 'accepted_at'])
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay);
  return kind === 'postgres' ? read.forUpdate() : read;
});
const REOFFER = prepared(
  (db, p: Key & { content: string; state: string; held: string | null; nextAttemptAt: string }) =>
    db
      .updateTable('ccus_outbox')
      .set({ content: p.content, state: p.state, held_reason: p.held, next_attempt_at: p.nextAttemptAt })
      .where('site_id', '=', p.siteId)
      .where('worker_id', '=', p.workerId)
      .where('working_day', '=', p.workingDay),
);
const UNSENT_GONE = prepared((db, p: Key) =>
  db
    .deleteFrom('ccus_outbox')
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay)
    .where('state', 'not in', ['accepted', 'sending'])
    .where('accepted_at', 'is', null),
);
const STILL_THERE = prepared((db, p: Key) =>
  db
    .selectFrom('ccus_outbox')
    .select('state')
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('working_day', '=', p.workingDay),
);

/**
 * The outbox's steps, written once for both engines (store/engine/): the record builder
 * composes `offer` and `withdraw` into its own transaction; CcusOutbox runs each on its own.
 */
export class OutboxSteps {
  readonly #engine: StoreEngine;
  readonly #coalesceSeconds: number;

  constructor(engine: StoreEngine, options: OutboxOptions = DEFAULT_OUTBOX_OPTIONS) {
    this.#engine = engine;
    this.#coalesceSeconds = Math.max(0, Math.round(options.coalesceMs / 1000));
  }

  get #db(): Kysely<DB> {
    return this.#engine.db;
  }

  #now(): string {
    return this.#engine.now().toISOString();
  }

  #key(key: RecordKey) {
    return this.#db
      .updateTable('ccus_outbox')
      .where('site_id', '=', key.siteId)
      .where('worker_id', '=', key.workerId)
      .where('working_day', '=', key.workingDay);
  }

  /** The record as it now is (outbox-state.ts `offered`). */
  *offer(key: RecordKey, submission: SubmissionContent, held: string | null): Work<void> {
    const now = this.#now();
    const content = contentOf(submission);
    const place = { siteId: key.siteId, workerId: key.workerId, workingDay: key.workingDay };
    let entry = (yield* firstRow(ENTRY(this.#engine, place))) as OutboxEntry | undefined;
    if (entry === undefined) {
      const entered = {
        ...place,
        idempotencyKey: `${key.siteId}:${key.workerId}:${key.workingDay}`,
        state: held === null ? 'pending' : 'held',
        now,
        held,
        content,
      };
      if ((yield* execute(ENTER(this.#engine, entered))) === 1) return;
      // Another server's builder entered it meanwhile (PostgreSQL): decide on what it stored.
      entry = (yield* firstRow(ENTRY(this.#engine, place))) as OutboxEntry;
    }
    const next = offered(entry, content, held, now, this.#coalesceSeconds);
    const same =
      entry.content === content &&
      entry.state === next.state &&
      entry.held_reason === next.held_reason &&
      entry.next_attempt_at === next.next_attempt_at;
    // A record rebuilt as it was (most rebuilds) leaves its place in the outbox untouched.
    if (same) return;
    yield* execute(
      REOFFER(this.#engine, {
        ...place,
        content,
        state: next.state,
        held: next.held_reason,
        nextAttemptAt: next.next_attempt_at,
      }),
    );
  }

  /** A record with no taps left (they moved to another day): gone, unless CCUS has it or is getting it. */
  *withdraw(key: RecordKey): Work<boolean> {
    const place = { siteId: key.siteId, workerId: key.workerId, workingDay: key.workingDay };
    yield* execute(UNSENT_GONE(this.#engine, place));
    return (yield* firstRow(STILL_THERE(this.#engine, place))) === undefined;
  }

  /**
   * Claims records due for sending for `owner` until `leaseMs` from now and marks them
   * `sending`; a record another server claimed is due again once its claim has run out (that
   * server died or stalled), so each is sent by one server at a time. On PostgreSQL the rows
   * are locked as they are claimed and rows another server is claiming are skipped, so
   * servers claiming together each get others, never wait on each other.
   */
  *claimDue(limit: number, owner: string, leaseMs: number): Work<OutboxItem[]> {
    const now = this.#now();
    const until = new Date(Date.parse(now) + leaseMs).toISOString();
    let due = this.#db
      .selectFrom('ccus_outbox as o')
      .innerJoin('sites as s', 's.site_id', 'o.site_id')
      .innerJoin('tenants as t', 't.tenant_id', 's.tenant_id')
      .select(['o.site_id', 'o.worker_id', 'o.working_day', 'o.idempotency_key', 'o.attempts', 'o.content'])
      .select('t.company_id')
      .where((eb) =>
        eb.or([
          eb.and([eb('o.state', 'in', ['pending', 'retrying']), eb('o.next_attempt_at', '<=', now)]),
          eb.and([
            eb('o.state', '=', 'sending'),
            eb.or([eb('o.claim_until', 'is', null), eb('o.claim_until', '<=', now)]),
          ]),
        ]),
      )
      .orderBy('o.next_attempt_at')
      .limit(limit);
    if (this.#engine.kind === 'postgres') due = due.forUpdate('o').skipLocked();
    const claimed = yield* rows(due);
    for (const row of claimed) {
      yield* execute(
        this.#key({ siteId: row.site_id, workerId: row.worker_id, workingDay: row.working_day }).set((eb) => ({
          state: 'sending',
          attempts: eb('attempts', '+', 1),
          sent_content: eb.ref('content'),
          last_sent_at: now,
          claimed_by: owner,
          claim_until: until,
        })),
      );
    }
    return claimed.map((row) => ({
      siteId: row.site_id,
      workerId: row.worker_id,
      workingDay: row.working_day,
      idempotencyKey: row.idempotency_key,
      attempts: row.attempts + 1,
      companyId: row.company_id,
      ...(JSON.parse(row.content ?? '{}') as SubmissionContent),
    }));
  }

  /** Accepted; but if the record changed while it was being sent, the change goes too (coalesced). */
  *markAccepted(item: RecordKey, receipt: string, owner: string): Work<void> {
    const now = this.#now();
    let read = this.#db
      .selectFrom('ccus_outbox')
      .select(['content', 'sent_content', 'held_reason', 'last_sent_at'])
      .where('site_id', '=', item.siteId)
      .where('worker_id', '=', item.workerId)
      .where('working_day', '=', item.workingDay)
      .where('state', '=', 'sending')
      .where('claimed_by', '=', owner);
    if (this.#engine.kind === 'postgres') read = read.forUpdate();
    const entry = yield* firstRow(read);
    // The claim was lost (it ran out and another server took the record): its answer is theirs.
    if (entry === undefined) return;
    const state = entry.content !== entry.sent_content ? 'pending' : entry.held_reason !== null ? 'held' : 'accepted';
    yield* execute(
      this.#key(item)
        .set({
          state,
          next_attempt_at: coalescedAfter(entry.last_sent_at, now, this.#coalesceSeconds),
          receipt,
          accepted_at: now,
          last_error: null,
          claimed_by: null,
          claim_until: null,
        })
        .where('state', '=', 'sending')
        .where('claimed_by', '=', owner),
    );
  }

  /**
   * Keeps the claim on a record about to be sent; false when it was lost (the claim ran out
   * and another server took the record), and then it must not be sent.
   */
  *holdClaim(item: RecordKey, owner: string, leaseMs: number): Work<boolean> {
    const until = new Date(this.#engine.now().getTime() + leaseMs).toISOString();
    const held = yield* execute(
      this.#key(item).set({ claim_until: until }).where('state', '=', 'sending').where('claimed_by', '=', owner),
    );
    return held === 1;
  }

  *markRefused(item: RecordKey, reason: string, owner: string): Work<void> {
    yield* execute(
      this.#key(item)
        .set({ state: 'refused', last_error: reason, claimed_by: null, claim_until: null })
        .where('state', '=', 'sending')
        .where('claimed_by', '=', owner),
    );
  }

  /** Due again at `nextAttemptAt`. `spent: false` gives back the attempt of a record claimed but never sent. */
  *markRetry(item: RecordKey, reason: string, nextAttemptAt: Date, owner: string, spent = true): Work<void> {
    yield* execute(
      this.#key(item)
        .set((eb) => ({
          state: spent ? 'retrying' : 'pending',
          attempts: spent ? eb.ref('attempts') : eb('attempts', '-', 1),
          last_error: reason,
          next_attempt_at: nextAttemptAt.toISOString(),
          claimed_by: null,
          claim_until: null,
        }))
        .where('state', '=', 'sending')
        .where('claimed_by', '=', owner),
    );
  }

  /**
   * Puts back in the queue what this server (by its stable `owner` name) was sending when it
   * stopped, and any claim that ran out; another live server's claims are left to it.
   */
  *requeueSending(owner: string): Work<number> {
    const now = this.#now();
    return yield* execute(
      this.#db
        .updateTable('ccus_outbox')
        .set({ state: 'pending', claimed_by: null, claim_until: null })
        .where('state', '=', 'sending')
        .where((eb) =>
          eb.or([eb('claimed_by', 'is', null), eb('claimed_by', '=', owner), eb('claim_until', '<=', now)]),
        ),
    );
  }

  /** A person fixed what stopped a refused (or held) record: it goes again now. */
  *release(key: RecordKey, states: readonly ('refused' | 'held')[]): Work<void> {
    if (states.length === 0) return;
    yield* execute(
      this.#key(key)
        .set({ state: 'pending', next_attempt_at: this.#now(), held_reason: null, attempts: 0 })
        .where('state', 'in', states),
    );
  }
}

/**
 * The CCUS outbox: which records go to CCUS, when, and what CCUS holds of each. A record
 * reaches CCUS within seconds of its first tap, and again within seconds of its exit; other
 * changes are coalesced, one submission per `coalesceMs` at most, and the last always goes.
 * Claims, marks and retries all happen here; the forwarder only sends. Each call is one
 * transaction; on SQLite (E = SqliteEngine) it answers at once.
 */
export class CcusOutbox<E extends StoreEngine = StoreEngine> {
  readonly steps: OutboxSteps;
  readonly #engine: E;

  constructor(engine: E, options: OutboxOptions = DEFAULT_OUTBOX_OPTIONS) {
    this.#engine = engine;
    this.steps = new OutboxSteps(engine, options);
  }

  #run<T>(work: () => Work<T>): Answer<E, T> {
    return this.#engine.transaction(work) as Answer<E, T>;
  }

  offer(key: RecordKey, content: SubmissionContent, held: string | null): Answer<E, void> {
    return this.#run(() => this.steps.offer(key, content, held));
  }

  withdraw(key: RecordKey): Answer<E, boolean> {
    return this.#run(() => this.steps.withdraw(key));
  }

  claimDue(limit: number, owner: string, leaseMs: number): Answer<E, OutboxItem[]> {
    return this.#run(() => this.steps.claimDue(limit, owner, leaseMs));
  }

  markAccepted(item: RecordKey, receipt: string, owner: string): Answer<E, void> {
    return this.#run(() => this.steps.markAccepted(item, receipt, owner));
  }

  holdClaim(item: RecordKey, owner: string, leaseMs: number): Answer<E, boolean> {
    return this.#run(() => this.steps.holdClaim(item, owner, leaseMs));
  }

  markRefused(item: RecordKey, reason: string, owner: string): Answer<E, void> {
    return this.#run(() => this.steps.markRefused(item, reason, owner));
  }

  markRetry(item: RecordKey, reason: string, nextAttemptAt: Date, owner: string, spent = true): Answer<E, void> {
    return this.#run(() => this.steps.markRetry(item, reason, nextAttemptAt, owner, spent));
  }

  requeueSending(owner: string): Answer<E, number> {
    return this.#run(() => this.steps.requeueSending(owner));
  }

  release(key: RecordKey, states: readonly ('refused' | 'held')[]): Answer<E, void> {
    return this.#run(() => this.steps.release(key, states));
  }
}
