import { type CardRef, ccusDeadline, ccusToday, type WorkerId, workingDay } from '@ccus-gate/protocol';
import type { CcusOutbox } from '../ccus/outbox-store.js';
import { queueRecords } from '../records/record-queue.js';
import type { DirectoryStore, SiteAccess } from './directory-store.js';
import type { RecordKey, RecordQueries } from './record-queries.js';
import type { SqliteDb } from './sqlite-db.js';
import { StoreError } from './store-error.js';
import { type TenantScope, VISIBLE_SITES } from './tenant-scope.js';

export type CorrectionKind = 'add_day' | 'set_times' | 'bind_card' | 'confirm_clock';
export type CorrectionState = 'applied' | 'awaiting_approval' | 'rejected';

/** Who acts: the tenant and the token's label (or the signed-in person). */
export interface Actor extends TenantScope {
  name: string;
}

export interface Correction {
  id: number;
  kind: CorrectionKind;
  state: CorrectionState;
  siteId: string;
  workerId: string | null;
  workingDay: string | null;
  actor: string;
  byTenant: string;
  reason: string;
  before: unknown;
  after: unknown;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  reason: string | null;
  before: unknown;
  after: unknown;
}

export interface TimesChange extends RecordKey {
  firstIn: string | null;
  lastOut: string | null;
  reason: string;
}

interface CorrectionRow {
  id: number;
  tenant_id: string;
  site_id: string;
  worker_id: string | null;
  working_day: string | null;
  kind: CorrectionKind;
  state: CorrectionState;
  actor: string;
  reason: string;
  before: string | null;
  after: string;
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
}

function correctionFromRow(row: CorrectionRow): Correction {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    siteId: row.site_id,
    workerId: row.worker_id,
    workingDay: row.working_day,
    actor: row.actor,
    byTenant: row.tenant_id,
    reason: row.reason,
    before: row.before === null ? null : JSON.parse(row.before),
    after: JSON.parse(row.after),
    createdAt: row.created_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    decisionReason: row.decision_reason,
  };
}

/**
 * A person's word on work records: a missed day added, times fixed, an unknown card bound
 * to its worker, an unsynchronised clock's times confirmed. Each is kept with who, when,
 * why, before and after. A subcontractor's entries wait for the prime contractor's
 * approval; the prime's own apply at once.
 */
export class CorrectionStore {
  readonly #db: SqliteDb;
  readonly #directory: DirectoryStore;
  readonly #queries: RecordQueries;
  readonly #outbox: CcusOutbox;

  constructor(db: SqliteDb, directory: DirectoryStore, queries: RecordQueries, outbox: CcusOutbox) {
    this.#db = db;
    this.#directory = directory;
    this.#queries = queries;
    this.#outbox = outbox;
  }

  /** Adds a day the worker worked but the taps do not show (a forgotten card, no terminal). */
  addDay(actor: Actor, change: TimesChange): Correction {
    return this.#db.transaction(() => {
      const access = this.#mayCorrect(actor, change);
      if (this.#queries.recordByKey(change) !== null) {
        throw new StoreError(
          'conflict',
          `a record for worker ${change.workerId} on ${change.workingDay} exists already: correct its times instead`,
          'workingDay',
        );
      }
      if (change.firstIn === null)
        throw new StoreError('invalid', 'an added day needs at least its entry time', 'firstIn');
      return this.#propose(actor, access, 'add_day', change, null);
    });
  }

  /** Sets the entry or exit time of an existing record (a missed exit, a wrong time). */
  setTimes(actor: Actor, change: TimesChange): Correction {
    return this.#db.transaction(() => {
      const access = this.#mayCorrect(actor, change);
      const existing = this.#queries.record(actor, change);
      const merged = {
        ...change,
        firstIn: change.firstIn ?? existing.firstIn,
        lastOut: change.lastOut ?? existing.lastOut,
      };
      return this.#propose(actor, access, 'set_times', merged, {
        firstIn: existing.firstIn,
        lastOut: existing.lastOut,
      });
    });
  }

  /** Vouches for the times of a record taken while the terminal's clock was not synchronised. */
  confirmClock(actor: Actor, key: RecordKey & { reason: string }): Correction {
    return this.#db.transaction(() => {
      const access = this.#mayCorrect(actor, key);
      const existing = this.#queries.record(actor, key);
      if (!existing.flags.includes('clock_unsynced')) {
        throw new StoreError('conflict', 'the record is not flagged clock_unsynced; nothing to confirm');
      }
      const times = { firstIn: existing.firstIn, lastOut: existing.lastOut };
      return this.#propose(actor, access, 'confirm_clock', { ...key, ...times }, times);
    });
  }

  /**
   * Binds a card seen at the gate to a worker: the card joins the worker, the terminals'
   * rosters change, and the card's taps at the tenant's sites become the worker's records.
   */
  bindCard(
    actor: Actor,
    card: CardRef,
    workerId: WorkerId,
    reason: string,
  ): Correction & { sites: string[]; resolvedTaps: number } {
    return this.#db.transaction(() => {
      const sites = (
        this.#db
          .sql(
            `WITH ${VISIBLE_SITES} SELECT DISTINCT t.site_id FROM taps t JOIN visible v USING (site_id)
               WHERE t.tech = @tech AND t.card_id = @cardId AND t.worker_id IS NULL LIMIT 1`,
          )
          .all({ ...actor, tech: card.tech, cardId: card.id }) as { site_id: string }[]
      ).map((row) => row.site_id);
      const bound = this.#directory.addCard(card, workerId, actor);
      const after = { card, workerId, resolvedTaps: bound.resolvedTaps };
      const id = this.#insert(actor, {
        kind: 'bind_card',
        state: 'applied',
        siteId: sites[0] ?? bound.sites[0] ?? '',
        workerId,
        workingDay: null,
        reason,
        before: null,
        after,
      });
      this.#audit(actor, 'bind_card', `card ${card.tech}:${card.id}`, reason, null, after);
      return { ...this.#get(id), sites: bound.sites, resolvedTaps: bound.resolvedTaps };
    });
  }

  /** The prime contractor approves a subcontractor's entry; it applies now. */
  approve(actor: Actor, id: number, reason: string | null): Correction {
    return this.#decide(actor, id, 'applied', reason);
  }

  reject(actor: Actor, id: number, reason: string): Correction {
    return this.#decide(actor, id, 'rejected', reason);
  }

  /** The prime sees every correction at its sites; a subcontractor the ones it made. */
  corrections(
    scope: TenantScope,
    filter: { siteId?: string; state?: CorrectionState; limit: number; offset: number },
  ): Correction[] {
    const rows = this.#db
      .sql(
        `WITH ${VISIBLE_SITES}
         SELECT c.* FROM corrections c JOIN visible v USING (site_id)
           WHERE (v.scope = 'prime' OR c.tenant_id = @tenantId)
             AND (@siteId IS NULL OR c.site_id = @siteId) AND (@state IS NULL OR c.state = @state)
           ORDER BY c.id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ siteId: null, state: null, ...scope, ...filter }) as CorrectionRow[];
    return rows.map(correctionFromRow);
  }

  correction(scope: TenantScope, id: number): Correction {
    const found = this.#db
      .sql(
        `WITH ${VISIBLE_SITES}
         SELECT c.* FROM corrections c JOIN visible v USING (site_id)
           WHERE c.id = @id AND (v.scope = 'prime' OR c.tenant_id = @tenantId)`,
      )
      .get({ ...scope, id }) as CorrectionRow | undefined;
    if (found === undefined) throw new StoreError('not_found', `no correction ${id}`, 'id');
    return correctionFromRow(found);
  }

  audit(scope: TenantScope, filter: { limit: number; offset: number }): AuditEntry[] {
    const rows = this.#db
      .sql('SELECT * FROM audit_log WHERE tenant_id = @tenantId ORDER BY id DESC LIMIT @limit OFFSET @offset')
      .all({ ...scope, ...filter }) as {
      id: number;
      at: string;
      actor: string;
      action: string;
      target: string;
      reason: string | null;
      before: string | null;
      after: string | null;
    }[];
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      actor: row.actor,
      action: row.action,
      target: row.target,
      reason: row.reason,
      before: row.before === null ? null : JSON.parse(row.before),
      after: row.after === null ? null : JSON.parse(row.after),
    }));
  }

  /** Records a change made elsewhere (a worker added, a terminal leased) in the tenant's audit trail. */
  note(
    actor: { tenantId: string | null; name: string },
    action: string,
    target: string,
    before: unknown,
    after: unknown,
  ): void {
    this.#audit(actor, action, target, null, before, after);
  }

  /** The actor may correct this worker's records at this site: the prime any, a subcontractor its own employees'. */
  #mayCorrect(actor: Actor, key: RecordKey): SiteAccess {
    const access = this.#directory.requireSite(actor, key.siteId);
    const worker = this.#directory.worker(actor, key.workerId);
    if (access === 'sub' && worker.employerCompanyId !== actor.companyId) {
      throw new StoreError('forbidden', "a subcontractor corrects only its own employees' records", 'workerId');
    }
    return access;
  }

  #propose(actor: Actor, access: SiteAccess, kind: CorrectionKind, change: TimesChange, before: unknown): Correction {
    this.#checkTimes(change);
    const state: CorrectionState = access === 'prime' ? 'applied' : 'awaiting_approval';
    const after = { firstIn: change.firstIn, lastOut: change.lastOut };
    const id = this.#insert(actor, { kind, state, ...change, before, after });
    this.#audit(actor, kind, `record ${change.siteId}/${change.workerId}/${change.workingDay}`, change.reason, before, {
      ...after,
      state,
    });
    if (state === 'applied') this.#apply(id, change);
    return this.#get(id);
  }

  /** Times must lie in the working day they are for, entry before exit, within CCUS's deadline. */
  #checkTimes(change: TimesChange): void {
    const today = ccusToday(this.#db.now());
    if (change.workingDay > today)
      throw new StoreError('invalid', `${change.workingDay} is in the future`, 'workingDay');
    const deadline = ccusDeadline(change.workingDay);
    if (today > deadline) {
      throw new StoreError(
        'invalid',
        `CCUS took input for ${change.workingDay} until ${deadline}; it is closed`,
        'workingDay',
      );
    }
    const rule = this.#db.sql('SELECT time_zone, day_boundary FROM sites WHERE site_id = ?').get(change.siteId) as {
      time_zone: string;
      day_boundary: string;
    };
    for (const field of ['firstIn', 'lastOut'] as const) {
      const at = change[field];
      if (at === null) continue;
      const day = workingDay(new Date(at), { timeZone: rule.time_zone, dayBoundary: rule.day_boundary });
      if (day !== change.workingDay) {
        throw new StoreError('invalid', `${field} ${at} falls on working day ${day}, not ${change.workingDay}`, field);
      }
    }
    if (
      change.firstIn !== null &&
      change.lastOut !== null &&
      Date.parse(change.lastOut) <= Date.parse(change.firstIn)
    ) {
      throw new StoreError('invalid', 'lastOut must be after firstIn', 'lastOut');
    }
  }

  #apply(id: number, key: RecordKey & { firstIn: string | null; lastOut: string | null }): void {
    this.#db
      .sql(
        `INSERT INTO record_overrides (site_id, worker_id, working_day, first_in, last_out, correction_id)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
           first_in = excluded.first_in, last_out = excluded.last_out, correction_id = excluded.correction_id`,
      )
      .run(key.siteId, key.workerId, key.workingDay, key.firstIn, key.lastOut, id);
    // A person has fixed it: a record CCUS refused may go again.
    this.#outbox.release(key, ['refused']);
    queueRecords(this.#db, [key]);
  }

  #decide(actor: Actor, id: number, state: 'applied' | 'rejected', reason: string | null): Correction {
    return this.#db.transaction(() => {
      const correction = this.correction(actor, id);
      this.#directory.requireSite(actor, correction.siteId, 'prime');
      if (correction.state !== 'awaiting_approval') {
        throw new StoreError('conflict', `correction ${id} is ${correction.state}, not awaiting approval`, 'id');
      }
      if (state === 'applied') {
        const after = correction.after as { firstIn: string | null; lastOut: string | null };
        const change = {
          siteId: correction.siteId,
          workerId: correction.workerId as string,
          workingDay: correction.workingDay as string,
          ...after,
          reason: correction.reason,
        };
        // The deadline may have passed while it waited.
        this.#checkTimes(change);
        this.#apply(id, change);
      }
      this.#db
        .sql('UPDATE corrections SET state = ?, decided_by = ?, decided_at = ?, decision_reason = ? WHERE id = ?')
        .run(state, actor.name, this.#db.iso(), reason, id);
      this.#audit(
        actor,
        state === 'applied' ? 'approve' : 'reject',
        `correction ${id}`,
        reason,
        correction.state,
        state,
      );
      return this.#get(id);
    });
  }

  #insert(
    actor: Actor,
    c: {
      kind: CorrectionKind;
      state: CorrectionState;
      siteId: string;
      workerId: string | null;
      workingDay: string | null;
      reason: string;
      before: unknown;
      after: unknown;
    },
  ): number {
    const result = this.#db
      .sql(
        `INSERT INTO corrections (tenant_id, site_id, worker_id, working_day, kind, state, actor, reason, before, after, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        actor.tenantId,
        c.siteId,
        c.workerId,
        c.workingDay,
        c.kind,
        c.state,
        actor.name,
        c.reason,
        c.before === null ? null : JSON.stringify(c.before),
        JSON.stringify(c.after),
        this.#db.iso(),
      );
    return Number(result.lastInsertRowid);
  }

  #get(id: number): Correction {
    return correctionFromRow(this.#db.sql('SELECT * FROM corrections WHERE id = ?').get(id) as CorrectionRow);
  }

  #audit(
    actor: { tenantId: string | null; name: string },
    action: string,
    target: string,
    reason: string | null,
    before: unknown,
    after: unknown,
  ): void {
    this.#db
      .sql(
        'INSERT INTO audit_log (at, tenant_id, actor, action, target, reason, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        this.#db.iso(),
        actor.tenantId,
        actor.name,
        action,
        target,
        reason,
        before === null || before === undefined ? null : JSON.stringify(before),
        after === null || after === undefined ? null : JSON.stringify(after),
      );
  }
}
