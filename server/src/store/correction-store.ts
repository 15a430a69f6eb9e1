import type { CardRef, WorkerId } from '@ccus-gate/protocol';
import type { OutboxSteps } from '../ccus/outbox-store.js';
import { applyChange, type Change, checkChange, type TimesChange } from '../corrections/apply-correction.js';
import type { RedatedTapRow } from '../records/redate-taps.js';
import { type AuditEntry, AuditLog } from './audit-log.js';
import {
  type Actor,
  type Correction,
  type CorrectionState,
  correctionById,
  insertCorrection,
  type TapRef,
  visibleCorrection,
  visibleCorrections,
} from './correction-rows.js';
import type { DirectoryStore, Position, SiteAccess } from './directory-store.js';
import { EngineStore } from './engine/engine-store.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, type Work } from './engine/work.js';
import type { RecordKey, RecordQueries } from './record-queries.js';
import { StoreError } from './store-error.js';
import { type TenantScope, visibleSites } from './tenant-scope.js';

export type { TimesChange } from '../corrections/apply-correction.js';
export type { AuditEntry } from './audit-log.js';
export type { Actor, Correction, CorrectionKind, CorrectionState, TapRef } from './correction-rows.js';

/** The flags whose times a person may confirm as they are. */
const CONFIRMABLE = ['clock_unsynced', 'clock_jumped', 'long_shift'] as const;

/** A stored tap as a correction reads it: what re-dating needs, and what a person sees of it. */
interface TapRow extends RedatedTapRow {
  direction: string;
  at: string;
  clock_synced: number;
  void_correction: number | null;
}

type Decided = Correction & { sites: string[]; resolvedTaps: number };

/**
 * A person's word on work records: a missed day added, times fixed, an unknown card bound
 * to its worker, an unsynchronised clock's times confirmed. Each is kept with who, when,
 * why, before and after. A subcontractor's entries wait for the prime contractor's
 * approval; the prime's own apply at once.
 */
export class CorrectionStore<E extends StoreEngine = StoreEngine> extends EngineStore<E> {
  readonly #directory: DirectoryStore<E>;
  readonly #queries: RecordQueries<E>;
  readonly #outbox: OutboxSteps;
  readonly #log: AuditLog;

  constructor(engine: E, directory: DirectoryStore<E>, queries: RecordQueries<E>, outbox: OutboxSteps) {
    super(engine);
    this.#log = new AuditLog(engine);
    this.#directory = directory;
    this.#queries = queries;
    this.#outbox = outbox;
  }

  /** Adds a day the worker worked but the taps do not show (a forgotten card, no terminal). */
  addDay(actor: Actor, change: TimesChange): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const access = yield* self.#mayCorrect(actor, change);
      if ((yield* self.#queries.recordByKeyWork(change)) !== null) {
        throw new StoreError(
          'conflict',
          `a record for worker ${change.workerId} on ${change.workingDay} exists already: correct its times instead`,
          'workingDay',
        );
      }
      if (change.firstIn === null)
        throw new StoreError('invalid', 'an added day needs at least its entry time', 'firstIn');
      return yield* self.#propose(actor, access, change, change.reason, null, {
        kind: 'add_day',
        firstIn: change.firstIn,
        lastOut: change.lastOut,
      });
    });
  }

  /**
   * A worker's own word, from their personal link (self-view/), that they worked a day their
   * taps do not show whole: a forgotten card (a day added) or a forgotten exit (times set). It
   * always waits for the site's prime contractor, whoever the worker's employer is.
   */
  claimDay(actor: Actor, change: TimesChange): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const access = yield* self.#mayCorrect(actor, change);
      const existing = yield* self.#queries.recordByKeyWork(change);
      if (existing === null) {
        if (change.firstIn === null) throw new StoreError('invalid', 'a missed day needs its entry time', 'firstIn');
        const after = {
          kind: 'add_day' as const,
          firstIn: change.firstIn,
          lastOut: change.lastOut,
          byWorker: true as const,
        };
        return yield* self.#propose(actor, access, change, change.reason, null, after, true);
      }
      const times = {
        firstIn: change.firstIn ?? existing.firstIn,
        lastOut: change.lastOut ?? existing.lastOut,
      };
      const before = { firstIn: existing.firstIn, lastOut: existing.lastOut };
      const after = { kind: 'set_times' as const, ...times, byWorker: true as const };
      return yield* self.#propose(actor, access, change, change.reason, before, after, true);
    });
  }

  /** The name a worker's own claim is filed under (self-view/): the worker, by their link. */
  static claimant(workerId: string): string {
    return `worker ${workerId} (own claim)`;
  }

  /** Sets the entry or exit time of an existing record (a missed exit, a wrong time). */
  setTimes(actor: Actor, change: TimesChange): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const access = yield* self.#mayCorrect(actor, change);
      const existing = yield* self.#queries.recordWork(actor, change);
      const merged = {
        ...change,
        firstIn: change.firstIn ?? existing.firstIn,
        lastOut: change.lastOut ?? existing.lastOut,
      };
      return yield* self.#propose(
        actor,
        access,
        change,
        change.reason,
        { firstIn: existing.firstIn, lastOut: existing.lastOut },
        { kind: 'set_times', firstIn: merged.firstIn, lastOut: merged.lastOut },
      );
    });
  }

  /**
   * Vouches for a record's times where they are in doubt: taken on an unsynchronised clock, across
   * a jump of the clock, or a shift longer than the site allows.
   */
  confirmClock(actor: Actor, key: RecordKey & { reason: string }): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const access = yield* self.#mayCorrect(actor, key);
      const existing = yield* self.#queries.recordWork(actor, key);
      if (!CONFIRMABLE.some((flag) => existing.flags.includes(flag))) {
        throw new StoreError('conflict', `the record is flagged none of ${CONFIRMABLE.join(', ')}; nothing to confirm`);
      }
      const times = { firstIn: existing.firstIn, lastOut: existing.lastOut };
      return yield* self.#propose(actor, access, key, key.reason, times, { kind: 'confirm_clock', ...times });
    });
  }

  /** Sets the day's trade (職種) and position (立場) on a record, instead of the site roster's. */
  setTrade(
    actor: Actor,
    change: RecordKey & { trade: string | null; position: Position | null; reason: string },
  ): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const access = yield* self.#mayCorrect(actor, change);
      const existing = yield* self.#queries.recordWork(actor, change);
      return yield* self.#propose(
        actor,
        access,
        change,
        change.reason,
        { trade: existing.trade, position: existing.position },
        { kind: 'set_trade', trade: change.trade, position: change.position },
      );
    });
  }

  /** Leaves a mistaken tap out of its record (a wrong reader, a card tapped for someone else); it is kept. */
  voidTap(actor: Actor, ref: TapRef & { reason: string }): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const { tap, key, access } = yield* self.#tapFor(actor, ref);
      if (tap.void_correction !== null)
        throw new StoreError('conflict', `tap ${ref.terminalId}/${ref.seq} is void already`);
      return yield* self.#propose(
        actor,
        access,
        key,
        ref.reason,
        { at: tap.at, direction: tap.direction },
        { kind: 'void_tap', terminalId: ref.terminalId, seq: ref.seq },
      );
    });
  }

  /**
   * Says when a tap really was, for a tap whose clock was never synchronised or whose time is
   * impossible. Every such tap of the same terminal boot moves with it (monotonic time keeps
   * their spacing), so a terminal that never set its clock is mended with one known time.
   */
  setTapTime(actor: Actor, ref: TapRef & { at: string; reason: string }): Answer<E, Correction> {
    const self = this;
    return this.transaction(function* () {
      const { tap, key, access } = yield* self.#tapFor(actor, ref);
      if (Number(tap.clock_synced) === 1) {
        throw new StoreError(
          'conflict',
          `tap ${ref.terminalId}/${ref.seq} was taken on a synchronised clock: correct its record's times instead`,
          'seq',
        );
      }
      return yield* self.#propose(
        actor,
        access,
        key,
        ref.reason,
        { at: tap.at },
        { kind: 'set_tap_time', terminalId: ref.terminalId, seq: ref.seq, at: ref.at },
      );
    });
  }

  /** The tap, the record that holds it, and how the actor may correct it. */
  *#tapFor(actor: Actor, ref: TapRef): Work<{ tap: TapRow; key: RecordKey; access: SiteAccess }> {
    const tap = (yield* firstRow(
      this.db.selectFrom('taps').selectAll().where('terminal_id', '=', ref.terminalId).where('seq', '=', ref.seq),
    )) as TapRow | undefined;
    // Another tenant's tap is as invisible here as one that does not exist.
    const notFound = new StoreError('not_found', `no tap ${ref.terminalId}/${ref.seq}`, 'seq');
    if (tap === undefined || (yield* this.#directory.siteAccessWork(actor, tap.site_id)) === null) throw notFound;
    if (tap.worker_id === null) {
      throw new StoreError(
        'conflict',
        `tap ${ref.terminalId}/${ref.seq} is an unknown card's: bind the card first`,
        'seq',
      );
    }
    const key = { siteId: tap.site_id, workerId: tap.worker_id, workingDay: tap.record_day ?? tap.working_day };
    try {
      return { tap, key, access: yield* this.#mayCorrect(actor, key) };
    } catch (error) {
      // Refusals become not found; a database that is away stays what it is.
      if (error instanceof StoreError && error.code !== 'unavailable') throw notFound;
      throw error;
    }
  }

  /**
   * Binds a card seen at the gate to a worker: the card joins the worker, the terminals'
   * rosters change, and the card's taps at the tenant's sites become the worker's records.
   */
  bindCard(actor: Actor, card: CardRef, workerId: WorkerId, reason: string): Answer<E, Decided> {
    const self = this;
    return this.transaction(function* () {
      const seen = yield* firstRow(
        self.db
          .with('visible', visibleSites(actor))
          .selectFrom('taps as t')
          .innerJoin('visible as v', 'v.site_id', 't.site_id')
          .select('t.site_id')
          .where('t.tech', '=', card.tech)
          .where('t.card_id', '=', card.id)
          .where('t.worker_id', 'is', null)
          .limit(1),
      );
      const bound = yield* self.#directory.addCardWork(card, workerId, actor);
      const after = { card, workerId, resolvedTaps: bound.resolvedTaps };
      const id = yield* insertCorrection(self.engine, actor, {
        kind: 'bind_card',
        state: 'applied',
        siteId: seen?.site_id ?? bound.sites[0] ?? '',
        workerId,
        workingDay: null,
        reason,
        before: null,
        after,
      });
      yield* self.#log.write(actor, 'bind_card', `card ${card.tech}:${card.id}`, reason, null, after);
      return { ...(yield* correctionById(self.engine, id)), sites: bound.sites, resolvedTaps: bound.resolvedTaps };
    });
  }

  /** The prime contractor approves a subcontractor's entry; it applies now. */
  approve(actor: Actor, id: number, reason: string | null): Answer<E, Correction> {
    return this.transaction(() => this.#decide(actor, id, 'applied', reason));
  }

  reject(actor: Actor, id: number, reason: string): Answer<E, Correction> {
    return this.transaction(() => this.#decide(actor, id, 'rejected', reason));
  }

  /** The prime sees every correction at its sites; a subcontractor the ones it made. */
  corrections(
    scope: TenantScope,
    filter: { siteId?: string; state?: CorrectionState; limit: number; offset: number },
  ): Answer<E, Correction[]> {
    return this.run(visibleCorrections(this.engine, scope, filter));
  }

  correction(scope: TenantScope, id: number): Answer<E, Correction> {
    return this.run(this.#correction(scope, id));
  }

  *#correction(scope: TenantScope, id: number): Work<Correction> {
    const found = yield* visibleCorrection(this.engine, scope, id);
    if (found === null) throw new StoreError('not_found', `no correction ${id}`, 'id');
    return found;
  }

  /** The tenant's audit trail, newest first (audit-log.ts). */
  audit(
    scope: TenantScope,
    filter: { limit: number; offset: number; action?: string; from?: string; to?: string; text?: string },
  ): Answer<E, AuditEntry[]> {
    return this.run(this.#log.entries(scope, filter));
  }

  /** Records a change made elsewhere (a worker added, a terminal leased) in the tenant's audit trail. */
  note(
    actor: { tenantId: string | null; name: string },
    action: string,
    target: string,
    before: unknown,
    after: unknown,
  ): Answer<E, void> {
    return this.run(this.#log.write(actor, action, target, null, before, after));
  }

  /** The actor may correct this worker's records at this site: the prime any, a subcontractor its own employees'. */
  *#mayCorrect(actor: Actor, key: RecordKey): Work<SiteAccess> {
    const access = yield* this.#directory.requireSiteWork(actor, key.siteId);
    const worker = yield* this.#directory.workerWork(actor, key.workerId);
    if (access === 'sub' && worker.employerCompanyId !== actor.companyId) {
      throw new StoreError('forbidden', "a subcontractor corrects only its own employees' records", 'workerId');
    }
    return access;
  }

  *#propose(
    actor: Actor,
    access: SiteAccess,
    key: RecordKey,
    reason: string,
    before: unknown,
    change: Change,
    /** Waits for the prime even when the actor is the prime (a worker's own claim). */
    waits = false,
  ): Work<Correction> {
    yield* checkChange(this.engine, key, change);
    const state: CorrectionState = access === 'prime' && !waits ? 'applied' : 'awaiting_approval';
    const { kind, ...after } = change;
    const id = yield* insertCorrection(this.engine, actor, { kind, state, ...key, reason, before, after });
    const target =
      'seq' in change
        ? `tap ${change.terminalId}/${change.seq}`
        : `record ${key.siteId}/${key.workerId}/${key.workingDay}`;
    yield* this.#log.write(actor, kind, target, reason, before, { ...after, state });
    if (state === 'applied') yield* applyChange(this.engine, this.#outbox, id, key, change);
    return yield* correctionById(this.engine, id);
  }

  *#decide(actor: Actor, id: number, state: 'applied' | 'rejected', reason: string | null): Work<Correction> {
    const correction = yield* this.#correction(actor, id);
    // A worker's own claim is decided by the site's prime or by the worker's employer, whose
    // link it came through; anything else a subcontractor proposes waits for the prime.
    const employersClaim = isWorkerClaim(correction) && correction.byTenant === actor.tenantId;
    if (!employersClaim) yield* this.#directory.requireSiteWork(actor, correction.siteId, 'prime');
    if (correction.state !== 'awaiting_approval') {
      throw new StoreError('conflict', `correction ${id} is ${correction.state}, not awaiting approval`, 'id');
    }
    if (state === 'applied') {
      const key = {
        siteId: correction.siteId,
        workerId: correction.workerId as string,
        workingDay: correction.workingDay as string,
      };
      const change = { kind: correction.kind, ...(correction.after as object) } as Change;
      // The deadline may have passed while it waited.
      yield* checkChange(this.engine, key, change);
      yield* applyChange(this.engine, this.#outbox, id, key, change);
    }
    yield* execute(
      this.db
        .updateTable('corrections')
        .set({ state, decided_by: actor.name, decided_at: this.iso(), decision_reason: reason })
        .where('id', '=', id),
    );
    yield* this.#log.write(
      actor,
      state === 'applied' ? 'approve' : 'reject',
      `correction ${id}`,
      reason,
      correction.state,
      state,
    );
    return yield* correctionById(this.engine, id);
  }
}

/** Marked by claimDay alone: no API body can carry `byWorker`, so no tenant can pass its own entry off as one. */
function isWorkerClaim(correction: Correction): boolean {
  return (correction.after as { byWorker?: unknown } | null)?.byWorker === true;
}
