import type { SqliteDb } from './sqlite-db.js';
import type { TenantScope } from './tenant-scope.js';

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

/**
 * The tenant's audit trail: who changed what, when and why, with before and after; every
 * correction, approval and change to its books writes one line, and nothing removes any.
 */
export class AuditLog {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  write(
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

  /**
   * The tenant's audit trail, newest first: optionally one kind of action, days (YYYY-MM-DD,
   * UTC, inclusive) and text found in who did it, what it was done to, or why.
   */
  entries(
    scope: TenantScope,
    filter: { limit: number; offset: number; action?: string; from?: string; to?: string; text?: string },
  ): AuditEntry[] {
    const rows = this.#db
      .sql(
        `SELECT * FROM audit_log WHERE tenant_id = @tenantId
           AND (@action IS NULL OR action = @action)
           AND (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < date(@to, '+1 day'))
           AND (@text IS NULL OR instr(actor, @text) > 0 OR instr(target, @text) > 0 OR instr(coalesce(reason, ''), @text) > 0)
         ORDER BY id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ action: null, from: null, to: null, text: null, ...scope, ...filter }) as {
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
}
