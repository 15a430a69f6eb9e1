import { ccusToday, type Health, type OnlineStatus } from '@ccus-gate/protocol';
import type { TerminalView } from '../store/directory-store.js';
import type { UnknownCard, WorkRecord } from '../store/record-queries.js';
import type { ServerStores } from '../store/server-stores.js';
import type { TenantScope } from '../store/tenant-scope.js';
import { healthWarnings } from '../terminals/health-warnings.js';

export const ALERT_KINDS = [
  'terminal_offline',
  'taps_waiting',
  'terminal_disk',
  'records_refused',
  'records_held',
  'deadline_near',
  'unknown_cards',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Something a contractor should look at now, and where. */
export interface Alert {
  kind: AlertKind;
  severity: 'warn' | 'bad';
  /** The terminal it is about, or null for the tenant's records and cards. */
  terminalId: string | null;
  /** How many records, cards or taps. */
  count: number;
  /** Since when (a terminal last seen, the oldest tap waiting). */
  since: string | null;
}

export interface AlertPolicy {
  /** A terminal not heard from this long is offline. */
  offlineAfterMs: number;
  /** Taps waiting on a terminal longer than this. */
  waitingAfterMs: number;
  /** Unknown cards seen this recently. */
  unknownCardsWithinMs: number;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  offlineAfterMs: 30 * 60_000,
  waitingAfterMs: 60 * 60_000,
  unknownCardsWithinMs: 7 * 86_400_000,
};

/**
 * What needs a person across the tenant (server/README.md, "Alerts"): terminals offline or
 * with taps waiting long, a terminal's disk nearly full, records CCUS refused or that are
 * held, deadlines within seven days, unknown cards of the last week. Worst first.
 */
export function tenantAlerts(
  input: {
    now: Date;
    terminals: readonly TerminalView[];
    refused: number;
    held: number;
    atRisk: readonly WorkRecord[];
    unknownCards: readonly UnknownCard[];
  },
  policy: AlertPolicy = DEFAULT_ALERT_POLICY,
): Alert[] {
  const now = input.now.getTime();
  const alerts: Alert[] = [];
  for (const terminal of input.terminals) {
    if (terminal.siteId === null) continue;
    const status = terminal.status as OnlineStatus | { state: 'offline' } | null;
    const lastHeard = terminal.statusAt === null ? null : Date.parse(terminal.statusAt);
    // Online terminals say so every minute; an offline one (its last will) since when it went.
    if (lastHeard === null || now - lastHeard > policy.offlineAfterMs) {
      alerts.push({
        kind: 'terminal_offline',
        severity: 'bad',
        terminalId: terminal.terminalId,
        count: 0,
        since: terminal.statusAt,
      });
      continue;
    }
    if (status?.state !== 'online') continue;
    if (status.queueDepth > 0 && status.oldestUndeliveredAt !== null) {
      if (now - Date.parse(status.oldestUndeliveredAt) > policy.waitingAfterMs) {
        alerts.push({
          kind: 'taps_waiting',
          severity: 'warn',
          terminalId: terminal.terminalId,
          count: status.queueDepth,
          since: status.oldestUndeliveredAt,
        });
      }
    }
    const warnings = healthWarnings((status as { health?: Health }).health);
    if (warnings.includes('disk_low') || warnings.includes('few_days_left')) {
      alerts.push({ kind: 'terminal_disk', severity: 'warn', terminalId: terminal.terminalId, count: 0, since: null });
    }
  }
  if (input.refused > 0)
    alerts.push({ kind: 'records_refused', severity: 'bad', terminalId: null, count: input.refused, since: null });
  if (input.atRisk.length > 0) {
    alerts.push({ kind: 'deadline_near', severity: 'bad', terminalId: null, count: input.atRisk.length, since: null });
  }
  if (input.held > 0)
    alerts.push({ kind: 'records_held', severity: 'warn', terminalId: null, count: input.held, since: null });
  const recentCards = input.unknownCards.filter((card) => now - Date.parse(card.lastAt) <= policy.unknownCardsWithinMs);
  if (recentCards.length > 0) {
    alerts.push({ kind: 'unknown_cards', severity: 'warn', terminalId: null, count: recentCards.length, since: null });
  }
  return alerts.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'bad' ? -1 : 1));
}

/** The tenant's alerts now, read from the store: what GET /api/v1/alerts and the alert mail both show. */
export async function alertsOf(
  store: Pick<ServerStores, 'directory' | 'queries'>,
  scope: TenantScope,
  now: Date,
): Promise<Alert[]> {
  const today = ccusToday(now);
  const [terminals, refused, held, atRisk, unknownCards] = await Promise.all([
    store.directory.terminals(scope),
    store.queries.records(scope, { state: 'refused', limit: 1000, offset: 0 }),
    store.queries.records(scope, { state: 'held', limit: 1000, offset: 0 }),
    store.queries.atRisk(scope, { today, withinDays: 7, limit: 1000 }),
    store.queries.unknownCards(scope, { limit: 1000, offset: 0 }),
  ]);
  return tenantAlerts({ now, terminals, refused: refused.length, held: held.length, atRisk, unknownCards });
}
