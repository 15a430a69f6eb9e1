import type { SqliteDb } from './sqlite-db.js';
import { scoped, type TenantScope, VISIBLE_SITES } from './tenant-scope.js';

export type CorrectionKind =
  | 'add_day'
  | 'set_times'
  | 'bind_card'
  | 'confirm_clock'
  | 'void_tap'
  | 'set_tap_time'
  | 'set_trade';

/** A stored tap, by the terminal that took it and its sequence number there. */
export interface TapRef {
  terminalId: string;
  seq: number;
}

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

/** A correction as stored. */
export interface CorrectionRow {
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

export function correctionFromRow(row: CorrectionRow): Correction {
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

/** Keeps a new correction; returns its id. */
export function insertCorrection(
  db: SqliteDb,
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
  const result = db
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
      db.iso(),
    );
  return Number(result.lastInsertRowid);
}

export function correctionById(db: SqliteDb, id: number): Correction {
  return correctionFromRow(db.sql('SELECT * FROM corrections WHERE id = ?').get(id) as CorrectionRow);
}

/** The corrections at the sites a tenant sees: the prime's every one there, a subcontractor's its own. */
export function visibleCorrections(
  db: SqliteDb,
  scope: TenantScope,
  filter: { siteId?: string; state?: CorrectionState; limit: number; offset: number },
): Correction[] {
  const rows = db
    .sql(
      `WITH ${VISIBLE_SITES}
       SELECT c.* FROM corrections c JOIN visible v USING (site_id)
         WHERE (v.scope = 'prime' OR c.tenant_id = @tenantId)
           AND (@siteId IS NULL OR c.site_id = @siteId) AND (@state IS NULL OR c.state = @state)
         ORDER BY c.id DESC LIMIT @limit OFFSET @offset`,
    )
    .all({ siteId: null, state: null, ...scoped(scope), ...filter }) as CorrectionRow[];
  return rows.map(correctionFromRow);
}

/** One correction, if the tenant sees it (as for the list); null otherwise. */
export function visibleCorrection(db: SqliteDb, scope: TenantScope, id: number): Correction | null {
  const found = db
    .sql(
      `WITH ${VISIBLE_SITES}
       SELECT c.* FROM corrections c JOIN visible v USING (site_id)
         WHERE c.id = @id AND (v.scope = 'prime' OR c.tenant_id = @tenantId)`,
    )
    .get({ ...scoped(scope), id }) as CorrectionRow | undefined;
  return found === undefined ? null : correctionFromRow(found);
}
