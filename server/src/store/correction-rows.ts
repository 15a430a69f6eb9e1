import type { TenantScope } from './tenant-scope.js';

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
