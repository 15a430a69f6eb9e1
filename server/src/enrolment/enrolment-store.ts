import type { CardRef, WorkerId } from '@ccus-gate/protocol';
import type { Actor } from '../store/correction-store.js';
import type { SqliteDb } from '../store/sqlite-db.js';
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

/**
 * Requests to bind the next unknown card tapped at a terminal to a worker: one per terminal
 * (a new request replaces the last), until it expires. Only the tenant leasing the terminal
 * may ask, and only for a worker on its own books.
 */
export class EnrolmentStore {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  request(actor: Actor, terminalId: string, workerId: WorkerId, windowMs: number): Enrolment {
    return this.#db.transaction(() => {
      const terminal = this.#db.sql('SELECT tenant_id FROM terminals WHERE terminal_id = ?').get(terminalId) as
        | { tenant_id: string | null }
        | undefined;
      if (terminal?.tenant_id !== actor.tenantId) {
        throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
      }
      const worker = this.#db
        .sql('SELECT 1 FROM workers WHERE tenant_id = ? AND worker_id = ?')
        .get(actor.tenantId, workerId);
      if (worker === undefined) {
        throw new StoreError('not_found', `no worker ${workerId} registered by this tenant`, 'workerId');
      }
      const now = Date.parse(this.#db.iso());
      const row: Row = {
        terminal_id: terminalId,
        tenant_id: actor.tenantId,
        company_id: actor.companyId,
        worker_id: workerId,
        requested_by: actor.name,
        created_at: new Date(now).toISOString(),
        expires_at: new Date(now + windowMs).toISOString(),
      };
      this.#db
        .sql(
          `INSERT OR REPLACE INTO card_enrolments (terminal_id, tenant_id, company_id, worker_id, requested_by, created_at, expires_at)
           VALUES (@terminal_id, @tenant_id, @company_id, @worker_id, @requested_by, @created_at, @expires_at)`,
        )
        .run(row);
      return fromRow(row);
    });
  }

  /** The terminal's waiting request and the first unknown card tapped there since it was made; expired ones are dropped. */
  due(terminalId: string): { enrolment: Enrolment; card: CardRef } | null {
    const row = this.#db.sql('SELECT * FROM card_enrolments WHERE terminal_id = ?').get(terminalId) as Row | undefined;
    if (row === undefined) return null;
    const now = this.#db.iso();
    if (row.expires_at <= now) {
      this.#db.sql('DELETE FROM card_enrolments WHERE terminal_id = ?').run(terminalId);
      return null;
    }
    // A card taken after the request (by the terminal's clock, as received) and known to no one
    // here. A QR code is not a card: it names its worker, and there is nothing to bind.
    const tap = this.#db
      .sql(
        `SELECT tech, card_id FROM taps
          WHERE terminal_id = ? AND worker_id IS NULL AND tech <> 'qr' AND received_at >= ? AND at_ms >= ?
          ORDER BY seq LIMIT 1`,
      )
      .get(terminalId, row.created_at, Date.parse(row.created_at) - 60_000) as
      | { tech: CardRef['tech']; card_id: string }
      | undefined;
    return tap === undefined ? null : { enrolment: fromRow(row), card: { tech: tap.tech, id: tap.card_id } as CardRef };
  }

  /** A request done (bound) or withdrawn. */
  finish(terminalId: string): void {
    this.#db.sql('DELETE FROM card_enrolments WHERE terminal_id = ?').run(terminalId);
  }

  /** The tenant's waiting requests, for its pages. */
  waiting(scope: TenantScope): Enrolment[] {
    return (
      this.#db
        .sql('SELECT * FROM card_enrolments WHERE tenant_id = ? AND expires_at > ? ORDER BY terminal_id')
        .all(scope.tenantId, this.#db.iso()) as Row[]
    ).map(fromRow);
  }
}

const fromRow = (row: Row): Enrolment => ({
  terminalId: row.terminal_id,
  workerId: row.worker_id as WorkerId,
  actor: { tenantId: row.tenant_id, companyId: row.company_id, name: row.requested_by },
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});
