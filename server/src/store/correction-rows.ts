import type { StoreEngine } from './engine/store-engine.js';
import { firstRow, mapFirst, mapRows, pageLimit, type Work } from './engine/work.js';
import { type TenantScope, visibleSites } from './tenant-scope.js';

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
  id: number | null;
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
    id: Number(row.id),
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
export function* insertCorrection(
  engine: StoreEngine,
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
): Work<number> {
  const made = yield* firstRow(
    engine.db
      .insertInto('corrections')
      .values({
        tenant_id: actor.tenantId,
        site_id: c.siteId,
        worker_id: c.workerId,
        working_day: c.workingDay,
        kind: c.kind,
        state: c.state,
        actor: actor.name,
        reason: c.reason,
        before: c.before === null ? null : JSON.stringify(c.before),
        after: JSON.stringify(c.after),
        created_at: engine.now().toISOString(),
      })
      .returning('id'),
  );
  return Number(made?.id);
}

export function* correctionById(engine: StoreEngine, id: number): Work<Correction> {
  const row = yield* firstRow(engine.db.selectFrom('corrections').selectAll().where('id', '=', id));
  return correctionFromRow(row as CorrectionRow);
}

/** The corrections at the sites a tenant sees: the prime's every one there, a subcontractor's its own. */
const visible = (engine: StoreEngine, scope: TenantScope) =>
  engine.db
    .with('visible', visibleSites(scope))
    .selectFrom('corrections as c')
    .innerJoin('visible as v', 'v.site_id', 'c.site_id')
    .selectAll('c')
    .where((eb) => eb.or([eb('v.scope', '=', 'prime'), eb('c.tenant_id', '=', scope.tenantId)]));

export function* visibleCorrections(
  engine: StoreEngine,
  scope: TenantScope,
  filter: { siteId?: string; state?: CorrectionState; limit: number; offset: number },
): Work<Correction[]> {
  let query = visible(engine, scope).orderBy('c.id', 'desc').limit(pageLimit(filter.limit)).offset(filter.offset);
  if (filter.siteId != null) query = query.where('c.site_id', '=', filter.siteId);
  if (filter.state != null) query = query.where('c.state', '=', filter.state);
  return yield* mapRows(query, (row) => correctionFromRow(row as CorrectionRow));
}

/** One correction, if the tenant sees it (as for the list); null otherwise. */
export function* visibleCorrection(engine: StoreEngine, scope: TenantScope, id: number): Work<Correction | null> {
  return yield* mapFirst(visible(engine, scope).where('c.id', '=', id), (row) =>
    correctionFromRow(row as CorrectionRow),
  );
}
