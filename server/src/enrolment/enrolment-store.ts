import type { CardRef, WorkerId } from '@ccus-gate/protocol';
import type { Actor } from '../store/correction-store.js';
import { prepared } from '../store/engine/prepared.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import { requireOwnWorker } from '../store/own-worker.js';
import { StoreError } from '../store/store-error.js';
import type { TenantScope } from '../store/tenant-scope.js';

/** A waiting "bind the next tap at this terminal" request. */
export interface Enrolment {
  terminalId: string;
  workerId: WorkerId;
  /** Who asked, for the audit trail of the binding it makes. */
  actor: Actor;
  createdAt: string;
  expiresAt: string;
}

interface Row {
  terminal_id: string;
  tenant_id: string;
  company_id: string;
  worker_id: string;
  requested_by: string;
  created_at: string;
  expires_at: string;
}

/** Asked after every batch a terminal sends: compiled once, not built again per batch. */
const WAITING = prepared((db, p: { terminalId: string }) =>
  db.selectFrom('card_enrolments').selectAll().where('terminal_id', '=', p.terminalId),
);

/**
 * Requests to bind the next unknown card tapped at a terminal to a worker: one per terminal
 * (a new request replaces the last), until it expires. Only the tenant leasing the terminal
 * may ask, and only for a worker on its own books.
 */
export class EnrolmentStore<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;

  constructor(engine: E) {
    this.#engine = engine;
  }

  get #db() {
    return this.#engine.db;
  }

  request(actor: Actor, terminalId: string, workerId: WorkerId, windowMs: number): Answer<E, Enrolment> {
    return this.#engine.transaction(() => this.#request(actor, terminalId, workerId, windowMs)) as Answer<E, Enrolment>;
  }

  *#request(actor: Actor, terminalId: string, workerId: WorkerId, windowMs: number): Work<Enrolment> {
    const terminal = yield* firstRow(
      this.#db.selectFrom('terminals').select('tenant_id').where('terminal_id', '=', terminalId),
    );
    if (terminal?.tenant_id !== actor.tenantId) {
      throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
    }
    yield* requireOwnWorker(this.#engine, actor.tenantId, workerId);
    const now = this.#engine.now().getTime();
    const row: Row = {
      terminal_id: terminalId,
      tenant_id: actor.tenantId,
      company_id: actor.companyId,
      worker_id: workerId,
      requested_by: actor.name,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + windowMs).toISOString(),
    };
    // A new request replaces the terminal's last.
    yield* execute(
      this.#db
        .insertInto('card_enrolments')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('terminal_id').doUpdateSet((eb) => ({
            tenant_id: eb.ref('excluded.tenant_id'),
            company_id: eb.ref('excluded.company_id'),
            worker_id: eb.ref('excluded.worker_id'),
            requested_by: eb.ref('excluded.requested_by'),
            created_at: eb.ref('excluded.created_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        ),
    );
    return fromRow(row);
  }

  /** The terminal's waiting request and the first unknown card tapped there since it was made; expired ones are dropped. */
  due(terminalId: string): Answer<E, { enrolment: Enrolment; card: CardRef } | null> {
    return this.#engine.run(this.#due(terminalId)) as Answer<E, { enrolment: Enrolment; card: CardRef } | null>;
  }

  *#due(terminalId: string): Work<{ enrolment: Enrolment; card: CardRef } | null> {
    const row = (yield* firstRow(WAITING(this.#engine, { terminalId }))) as Row | undefined;
    if (row === undefined) return null;
    if (row.expires_at <= this.#engine.now().toISOString()) {
      yield* execute(this.#db.deleteFrom('card_enrolments').where('terminal_id', '=', terminalId));
      return null;
    }
    // A card taken after the request (by the terminal's clock, as received) and known to no one
    // here. A QR code is not a card: it names its worker, and there is nothing to bind.
    const tap = yield* firstRow(
      this.#db
        .selectFrom('taps')
        .select(['tech', 'card_id'])
        .where('terminal_id', '=', terminalId)
        .where('worker_id', 'is', null)
        .where('tech', '<>', 'qr')
        .where('received_at', '>=', row.created_at)
        .where('at_ms', '>=', Date.parse(row.created_at) - 60_000)
        .orderBy('seq')
        .limit(1),
    );
    return tap === undefined ? null : { enrolment: fromRow(row), card: { tech: tap.tech, id: tap.card_id } as CardRef };
  }

  /** A request done (bound) or withdrawn. */
  finish(terminalId: string): Answer<E, void> {
    return this.#engine.run(this.#finish(terminalId)) as Answer<E, void>;
  }

  *#finish(terminalId: string): Work<void> {
    yield* execute(this.#db.deleteFrom('card_enrolments').where('terminal_id', '=', terminalId));
  }

  /** The tenant's waiting requests, for its pages. */
  waiting(scope: TenantScope): Answer<E, Enrolment[]> {
    return this.#engine.run(this.#waiting(scope)) as Answer<E, Enrolment[]>;
  }

  *#waiting(scope: TenantScope): Work<Enrolment[]> {
    const waiting = yield* rows(
      this.#db
        .selectFrom('card_enrolments')
        .selectAll()
        .where('tenant_id', '=', scope.tenantId)
        .where('expires_at', '>', this.#engine.now().toISOString())
        .orderBy('terminal_id'),
    );
    return (waiting as Row[]).map(fromRow);
  }
}

const fromRow = (row: Row): Enrolment => ({
  terminalId: row.terminal_id,
  workerId: row.worker_id as WorkerId,
  actor: { tenantId: row.tenant_id, companyId: row.company_id, name: row.requested_by },
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});
