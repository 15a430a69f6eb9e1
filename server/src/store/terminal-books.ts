import {
  type GateLanguage,
  QR_HARDWARE_PROFILES,
  type SiteId,
  type TerminalConfig,
  type TerminalId,
  type WorkingDayRule,
} from '@ccus-gate/protocol';
import { generateSecret, hashSecret, mosquittoHash, secretMatches } from '../credentials.js';
import { SiteRosters } from './site-rosters.js';
import type { SqliteDb } from './sqlite-db.js';
import { fromSqlite, StoreError } from './store-error.js';
import { type TenantScope, withinSites } from './tenant-scope.js';

export interface TerminalAssignment {
  terminalId: TerminalId;
  tenantId: string | null;
  siteId: SiteId | null;
  rule: WorkingDayRule | null;
  /** Leases before the current one, when there were any: their taps belong to their site. */
  earlier: { siteId: SiteId; rule: WorkingDayRule; fromMs: number; untilMs: number }[];
}

/** How a terminal behaves at the gate; the site adds its time zone and day boundary. */
export interface TerminalSettings {
  directionMode: TerminalConfig['directionMode'];
  debounceSeconds: number;
  unknownCard: TerminalConfig['unknownCard'];
  retentionDays: number;
}

export const DEFAULT_TERMINAL_SETTINGS: TerminalSettings = {
  directionMode: 'toggle',
  debounceSeconds: 10,
  unknownCard: 'accept',
  retentionDays: 90,
};

export interface TerminalView {
  terminalId: string;
  /** The tenant leasing it now; null when nobody does. */
  tenantId: string | null;
  siteId: string | null;
  leaseFrom: string | null;
  leaseUntil: string | null;
  hardwareProfile: string | null;
  settings: TerminalSettings;
  status: unknown;
  statusAt: string | null;
  createdAt: string;
}

export interface Lease {
  tenantId: string;
  siteId: SiteId;
  from: string;
  until: string | null;
}

interface TerminalRow {
  terminal_id: string;
  tenant_id: string | null;
  site_id: string | null;
  lease_from: string | null;
  lease_until: string | null;
  hardware_profile: string | null;
  config: string | null;
  status: string | null;
  status_at: string | null;
  created_at: string;
}

/**
 * A terminal as its tenant sees it: a status reported before the tenant's lease began was
 * the previous tenant's (their pending taps, their errors) and is not shown; the operator
 * (no scope) sees it all.
 */
function terminalFromRow(row: TerminalRow, scope: TenantScope | null = null): TerminalView {
  const ownStatus =
    scope === null || (row.status_at !== null && (row.lease_from === null || row.status_at >= row.lease_from));
  return {
    terminalId: row.terminal_id,
    tenantId: row.tenant_id,
    siteId: row.site_id,
    leaseFrom: row.lease_from,
    leaseUntil: row.lease_until,
    hardwareProfile: row.hardware_profile,
    settings: row.config === null ? DEFAULT_TERMINAL_SETTINGS : (JSON.parse(row.config) as TerminalSettings),
    status: row.status === null || !ownStatus ? null : JSON.parse(row.status),
    statusAt: ownStatus ? row.status_at : null,
    createdAt: row.created_at,
  };
}

/**
 * Terminals, their credentials and leases, settings, status and the config each is sent.
 * A terminal's taps belong to the lease in force when they were taken.
 */
export abstract class TerminalBooks extends SiteRosters {
  protected constructor(db: SqliteDb) {
    super(db);
  }

  // ---- terminals ----------------------------------------------------------------------

  /** Registers a terminal (leased at once when tenant and site are given) and returns its password. */
  createTerminal(terminal: {
    terminalId: TerminalId;
    tenantId?: string;
    siteId?: SiteId;
    secret?: string;
    hardwareProfile?: string;
  }): string {
    const secret = terminal.secret ?? generateSecret('cgt');
    const now = this.db.iso();
    this.db.transaction(() => {
      try {
        this.db
          .sql(
            `INSERT INTO terminals (terminal_id, secret_hash, broker_hash, created_at, hardware_profile, config_version)
             VALUES (?, ?, ?, ?, ?, ?)`,
          )
          .run(
            terminal.terminalId,
            hashSecret(secret),
            mosquittoHash(secret),
            now,
            terminal.hardwareProfile ?? null,
            this.db.nextVersion(),
          );
      } catch (error) {
        throw fromSqlite(error, `terminal ${terminal.terminalId}`, 'terminalId');
      }
      if (terminal.tenantId !== undefined && terminal.siteId !== undefined) {
        this.lease(terminal.terminalId, {
          tenantId: terminal.tenantId,
          siteId: terminal.siteId,
          from: now,
          until: null,
        });
      }
    });
    return secret;
  }

  /** New credentials for a terminal (provisioning); the old password stops working. */
  rotateTerminalSecret(terminalId: TerminalId): string {
    const secret = generateSecret('cgt');
    const result = this.db
      .sql('UPDATE terminals SET secret_hash = ?, broker_hash = ? WHERE terminal_id = ?')
      .run(hashSecret(secret), mosquittoHash(secret), terminalId);
    if (result.changes === 0) throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
    return secret;
  }

  /**
   * Leases the terminal to a tenant at one of its sites, ending any lease it had. The
   * terminal is then sent a newer config and roster, which replace everything it held of
   * the previous tenant. Returns the previous lease's tenant.
   */
  lease(terminalId: TerminalId, lease: Lease): { previousTenantId: string | null } {
    return this.db.transaction(() => {
      const current = this.db.sql('SELECT tenant_id FROM terminals WHERE terminal_id = ?').get(terminalId) as
        | { tenant_id: string | null }
        | undefined;
      if (current === undefined) throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
      const scope = this.tenantScope(lease.tenantId);
      this.requireSite(scope, lease.siteId);
      if (lease.until !== null && lease.until <= lease.from) {
        throw new StoreError('invalid', 'until must be after from', 'until');
      }
      this.db
        .sql('UPDATE terminal_leases SET lease_until = ? WHERE terminal_id = ? AND lease_until IS NULL')
        .run(lease.from, terminalId);
      this.db
        .sql(
          `INSERT INTO terminal_leases (terminal_id, tenant_id, site_id, lease_from, lease_until, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(terminalId, lease.tenantId, lease.siteId, lease.from, lease.until, this.db.iso());
      this.db
        .sql(
          `UPDATE terminals SET tenant_id = ?, site_id = ?, lease_from = ?, lease_until = ?,
             config = CASE WHEN tenant_id IS ? THEN config ELSE NULL END WHERE terminal_id = ?`,
        )
        .run(lease.tenantId, lease.siteId, lease.from, lease.until, lease.tenantId, terminalId);
      this.bumpConfig(terminalId);
      this.bumpRoster(lease.siteId);
      return { previousTenantId: current.tenant_id };
    });
  }

  /** Ends the lease: the terminal keeps its credentials but belongs to no tenant and sends nowhere. */
  endLease(terminalId: TerminalId): void {
    this.db.transaction(() => {
      const result = this.db
        .sql(
          'UPDATE terminals SET tenant_id = NULL, site_id = NULL, lease_until = ?, config = NULL WHERE terminal_id = ?',
        )
        .run(this.db.iso(), terminalId);
      if (result.changes === 0) throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
      this.db
        .sql('UPDATE terminal_leases SET lease_until = ? WHERE terminal_id = ? AND lease_until IS NULL')
        .run(this.db.iso(), terminalId);
      this.bumpConfig(terminalId);
    });
  }

  /** Every terminal's broker account, for an external broker's password file. */
  brokerAccounts(): { username: string; hash: string }[] {
    return (
      this.db
        .sql('SELECT terminal_id, broker_hash FROM terminals WHERE broker_hash IS NOT NULL ORDER BY terminal_id')
        .all() as { terminal_id: string; broker_hash: string }[]
    ).map((row) => ({ username: row.terminal_id, hash: row.broker_hash }));
  }

  terminalSecretMatches(terminalId: string, secret: string): boolean {
    const row = this.db.sql('SELECT secret_hash FROM terminals WHERE terminal_id = ?').get(terminalId) as
      | { secret_hash: string }
      | undefined;
    return row !== undefined && secretMatches(secret, row.secret_hash);
  }

  /** Whether the terminal's hardware profile reads the 建キャリ QR code (its roster then carries cardless workers). */
  readsQrCodes(terminalId: TerminalId): boolean {
    const row = this.db.sql('SELECT hardware_profile FROM terminals WHERE terminal_id = ?').get(terminalId) as
      | { hardware_profile: string | null }
      | undefined;
    return (QR_HARDWARE_PROFILES as readonly (string | null)[]).includes(row?.hardware_profile ?? null);
  }

  terminal(terminalId: TerminalId): TerminalAssignment | null {
    const row = this.db
      .sql(
        `SELECT t.terminal_id, t.tenant_id, t.site_id, s.time_zone, s.day_boundary,
             (SELECT count(*) FROM terminal_leases l WHERE l.terminal_id = t.terminal_id) AS leases
           FROM terminals t LEFT JOIN sites s ON s.site_id = t.site_id WHERE t.terminal_id = ?`,
      )
      .get(terminalId) as
      | {
          tenant_id: string | null;
          site_id: string | null;
          time_zone: string | null;
          day_boundary: string | null;
          leases: number;
        }
      | undefined;
    if (row === undefined) return null;
    const earlier =
      row.leases <= 1
        ? []
        : (
            this.db
              .sql(
                `SELECT l.site_id, l.lease_from, l.lease_until, s.time_zone, s.day_boundary
                   FROM terminal_leases l JOIN sites s USING (site_id)
                   WHERE l.terminal_id = ? AND l.lease_until IS NOT NULL ORDER BY l.lease_from`,
              )
              .all(terminalId) as {
              site_id: SiteId;
              lease_from: string;
              lease_until: string;
              time_zone: string;
              day_boundary: string;
            }[]
          ).map((lease) => ({
            siteId: lease.site_id,
            rule: { timeZone: lease.time_zone, dayBoundary: lease.day_boundary },
            fromMs: Date.parse(lease.lease_from),
            untilMs: Date.parse(lease.lease_until),
          }));
    return {
      terminalId,
      tenantId: row.tenant_id,
      siteId: row.site_id as SiteId | null,
      rule:
        row.time_zone === null || row.day_boundary === null
          ? null
          : { timeZone: row.time_zone, dayBoundary: row.day_boundary },
      earlier,
    };
  }

  terminalsAtSite(siteId: string): TerminalId[] {
    return (
      this.db.sql('SELECT terminal_id FROM terminals WHERE site_id = ? ORDER BY terminal_id').all(siteId) as {
        terminal_id: TerminalId;
      }[]
    ).map((row) => row.terminal_id);
  }

  allTerminals(): TerminalId[] {
    return (
      this.db.sql('SELECT terminal_id FROM terminals ORDER BY terminal_id').all() as { terminal_id: TerminalId }[]
    ).map((row) => row.terminal_id);
  }

  setTerminalStatus(terminalId: TerminalId, status: unknown): void {
    this.db
      .sql('UPDATE terminals SET status = ?, status_at = ? WHERE terminal_id = ?')
      .run(JSON.stringify(status), this.db.iso(), terminalId);
  }

  /** The terminals leased to the tenant; the operator (no scope) sees the whole fleet. */
  terminals(scope: TenantScope | null): TerminalView[] {
    const rows =
      scope === null
        ? this.db.sql('SELECT * FROM terminals ORDER BY terminal_id').all()
        : this.db.sql('SELECT * FROM terminals WHERE tenant_id = ? ORDER BY terminal_id').all(scope.tenantId);
    return (rows as TerminalRow[])
      .filter((row) => scope === null || row.site_id === null || withinSites(scope, row.site_id))
      .map((row) => terminalFromRow(row, scope));
  }

  terminalView(scope: TenantScope | null, terminalId: string): TerminalView {
    const row = this.db.sql('SELECT * FROM terminals WHERE terminal_id = ?').get(terminalId) as
      | (TerminalRow & { tenant_id: string | null })
      | undefined;
    const outside =
      scope !== null &&
      (row?.tenant_id !== scope.tenantId || (row.site_id !== null && !withinSites(scope, row.site_id)));
    if (row === undefined || outside) {
      throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
    }
    return terminalFromRow(row, scope);
  }

  setTerminalSettings(scope: TenantScope, terminalId: TerminalId, settings: TerminalSettings): void {
    this.terminalView(scope, terminalId);
    this.db.transaction(() => {
      this.db.sql('UPDATE terminals SET config = ? WHERE terminal_id = ?').run(JSON.stringify(settings), terminalId);
      this.bumpConfig(terminalId);
    });
  }

  /** The config a terminal runs by, or null while it is not leased to a site. */
  configFor(terminalId: TerminalId): TerminalConfig | null {
    const row = this.db
      .sql(
        `SELECT t.config, t.config_version, s.site_id, s.time_zone, s.day_boundary, s.max_shift_hours, s.language,
                r.version AS update_version, u.url AS update_url, r.sha256 AS update_sha256, r.size AS update_size,
                r.signature AS update_signature
           FROM terminals t JOIN sites s ON s.site_id = t.site_id
           LEFT JOIN terminal_updates u ON u.terminal_id = t.terminal_id
           LEFT JOIN releases r ON r.version = u.version
          WHERE t.terminal_id = ?`,
      )
      .get(terminalId) as
      | {
          config: string | null;
          config_version: number;
          site_id: SiteId;
          time_zone: string;
          day_boundary: string;
          max_shift_hours: number;
          language: GateLanguage;
          update_version: string | null;
          update_url: string | null;
          update_sha256: string | null;
          update_size: number | null;
          update_signature: string | null;
        }
      | undefined;
    if (row === undefined) return null;
    const settings = row.config === null ? DEFAULT_TERMINAL_SETTINGS : (JSON.parse(row.config) as TerminalSettings);
    return {
      v: 1,
      version: Math.max(1, row.config_version),
      siteId: row.site_id,
      timeZone: row.time_zone,
      dayBoundary: row.day_boundary,
      ...settings,
      maxShiftHours: row.max_shift_hours,
      language: row.language,
      // A release a rollout offers this terminal (updates/).
      ...(row.update_version === null
        ? {}
        : {
            update: {
              version: row.update_version,
              url: row.update_url as string,
              sha256: row.update_sha256 as string,
              size: row.update_size as number,
              signature: row.update_signature as string,
            },
          }),
    };
  }

  protected bumpConfig(terminalId: string): void {
    bumpTerminalConfig(this.db, terminalId);
  }
}

/** Moves a terminal's config version on, so its config is sent again (what it is offered changed). */
export function bumpTerminalConfig(db: SqliteDb, terminalId: string): void {
  db.sql('UPDATE terminals SET config_version = ? WHERE terminal_id = ?').run(db.nextVersion(), terminalId);
}
