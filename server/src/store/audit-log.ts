import type { StoreEngine } from './engine/store-engine.js';
import { execute, mapRows, type Work } from './engine/work.js';
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

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** The day after a YYYY-MM-DD day. */
const dayAfter = (day: string): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * The tenant's audit trail: who changed what, when and why, with before and after; every
 * correction, approval and change to its books writes one line, and nothing removes any.
 */
export class AuditLog {
  readonly #engine: StoreEngine;

  constructor(engine: StoreEngine) {
    this.#engine = engine;
  }

  /** One line, in the transaction of the change it is about. */
  *write(
    actor: { tenantId: string | null; name: string },
    action: string,
    target: string,
    reason: string | null,
    before: unknown,
    after: unknown,
  ): Work<void> {
    yield* execute(
      this.#engine.db.insertInto('audit_log').values({
        at: this.#engine.now().toISOString(),
        tenant_id: actor.tenantId,
        actor: actor.name,
        action,
        target,
        reason,
        before: json(before),
        after: json(after),
      }),
    );
  }

  /**
   * The tenant's audit trail, newest first: optionally one kind of action, days (YYYY-MM-DD,
   * UTC, inclusive) and text found in who did it, what it was done to, or why.
   */
  *entries(
    scope: TenantScope,
    filter: { limit: number; offset: number; action?: string; from?: string; to?: string; text?: string },
  ): Work<AuditEntry[]> {
    // Found as written, case and all: SQLite's instr, PostgreSQL's strpos.
    const find = this.#engine.kind === 'sqlite' ? 'instr' : 'strpos';
    let query = this.#engine.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', scope.tenantId)
      .orderBy('id', 'desc')
      .limit(filter.limit)
      .offset(filter.offset);
    if (filter.action != null) query = query.where('action', '=', filter.action);
    if (filter.from != null) query = query.where('at', '>=', filter.from);
    if (filter.to != null) query = query.where('at', '<', dayAfter(filter.to));
    const text = filter.text;
    if (text != null) {
      query = query.where((eb) =>
        eb.or([
          eb(eb.fn<number>(find, ['actor', eb.val(text)]), '>', 0),
          eb(eb.fn<number>(find, ['target', eb.val(text)]), '>', 0),
          eb(eb.fn<number>(find, [eb.fn.coalesce('reason', eb.val('')), eb.val(text)]), '>', 0),
        ]),
      );
    }
    return yield* mapRows(query, (row) => ({
      id: Number(row.id),
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
