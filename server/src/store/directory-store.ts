import { randomBytes } from 'node:crypto';
import {
  DEFAULT_MAX_SHIFT_HOURS,
  type SiteId,
  type TerminalConfig,
  type TerminalId,
  type WorkingDayRule,
} from '@ccus-gate/protocol';
import { generateSecret, hashSecret, mosquittoHash, secretMatches } from '../credentials.js';
import { SiteRosters } from './site-rosters.js';
import type { SqliteDb } from './sqlite-db.js';
import { fromSqlite, StoreError } from './store-error.js';
import { type TenantScope, VISIBLE_SITES } from './tenant-scope.js';
import type { SiteAccess } from './worker-books.js';

export type { RosterEntry, RosterLoad, RosterPlace } from './site-rosters.js';
export { POSITIONS, type Position, type SiteAccess, type Worker } from './worker-books.js';

export type Role = 'operator' | 'admin' | 'viewer';

export interface TokenOwner {
  /** null for the fleet operator, who belongs to no tenant. */
  tenantId: string | null;
  companyId: string | null;
  role: Role;
  label: string;
}

export interface TerminalAssignment {
  terminalId: TerminalId;
  tenantId: string | null;
  siteId: SiteId | null;
  rule: WorkingDayRule | null;
  /** Leases before the current one, when there were any: their taps belong to their site. */
  earlier: { siteId: SiteId; rule: WorkingDayRule; fromMs: number; untilMs: number }[];
}

export interface User {
  userId: string;
  tenantId: string;
  login: string;
  name: string;
  role: 'admin' | 'viewer';
  createdAt: string;
}

/** Who a dashboard session speaks for. */
export interface SignedIn {
  userId: string;
  tenantId: string;
  companyId: string;
  tenantName: string;
  login: string;
  name: string;
  role: 'admin' | 'viewer';
}

interface UserRow {
  user_id: string;
  tenant_id: string;
  login: string;
  name: string;
  role: 'admin' | 'viewer';
  created_at: string;
}

const userFromRow = (row: UserRow): User => ({
  userId: row.user_id,
  tenantId: row.tenant_id,
  login: row.login,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
});

const signedInFromRow = (row: UserRow & { company_id: string; tenant_name: string }): SignedIn => ({
  userId: row.user_id,
  tenantId: row.tenant_id,
  companyId: row.company_id,
  tenantName: row.tenant_name,
  login: row.login,
  name: row.name,
  role: row.role,
});

export interface Tenant {
  tenantId: string;
  companyId: string;
  name: string;
  createdAt: string;
}

export interface SiteCompany {
  companyId: string;
  name: string;
  tier: number;
  parentCompanyId: string;
}

export interface Site {
  siteId: string;
  name: string;
  timeZone: string;
  dayBoundary: string;
  /** How long a shift may run past the day boundary and still close with an exit. */
  maxShiftHours: number;
  primeCompanyId: string;
  access: SiteAccess;
  rosterVersion: number;
  companies: SiteCompany[];
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

interface SiteRow {
  site_id: string;
  name: string;
  time_zone: string;
  day_boundary: string;
  max_shift_hours: number;
  prime_company_id: string;
  roster_version: number;
  scope: SiteAccess;
}

interface TerminalRow {
  terminal_id: string;
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
 * Tenants, API tokens, sites and their structure, terminals and their leases, workers,
 * cards and site rosters. Tenant-facing reads and writes take a TenantScope and see only
 * what that tenant may see; the operator's calls (tenants, terminals, leases) do not.
 */
export class DirectoryStore extends SiteRosters {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    super(db);
    this.#db = db;
  }

  // ---- tenants and tokens -----------------------------------------------------------

  createTenant(tenant: { tenantId: string; companyId: string; name: string }): Tenant {
    const createdAt = this.#db.iso();
    try {
      this.#db
        .sql('INSERT INTO tenants (tenant_id, company_id, name, created_at) VALUES (?, ?, ?, ?)')
        .run(tenant.tenantId, tenant.companyId, tenant.name, createdAt);
    } catch (error) {
      throw fromSqlite(error, `a tenant with id ${tenant.tenantId} or company ${tenant.companyId}`, 'tenantId');
    }
    return { ...tenant, createdAt };
  }

  tenants(): Tenant[] {
    return (
      this.#db.sql('SELECT * FROM tenants ORDER BY tenant_id').all() as {
        tenant_id: string;
        company_id: string;
        name: string;
        created_at: string;
      }[]
    ).map((row) => ({ tenantId: row.tenant_id, companyId: row.company_id, name: row.name, createdAt: row.created_at }));
  }

  tenantScope(tenantId: string): TenantScope {
    const row = this.#db.sql('SELECT company_id FROM tenants WHERE tenant_id = ?').get(tenantId) as
      | { company_id: string }
      | undefined;
    if (row === undefined) throw new StoreError('not_found', `no tenant ${tenantId}`, 'tenantId');
    return { tenantId, companyId: row.company_id };
  }

  /** Returns the token; only its hash is kept. An operator token has no tenant. */
  createApiToken(tenantId: string | null, role: Role, label: string, token = generateSecret('ccg')): string {
    if ((role === 'operator') !== (tenantId === null)) {
      throw new StoreError('invalid', 'operator tokens belong to no tenant; admin and viewer tokens to one', 'role');
    }
    try {
      this.#db
        .sql('INSERT INTO api_tokens (token_hash, tenant_id, role, label, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(hashSecret(token), tenantId, role, label, this.#db.iso());
    } catch (error) {
      throw fromSqlite(error, `tenant ${tenantId}`, 'tenantId');
    }
    return token;
  }

  /** A tenant's tokens (the operator's, for null), never the secrets: `id` is the start of the hash. */
  tokens(tenantId: string | null): { id: string; role: Role; label: string; createdAt: string }[] {
    return (
      this.#db
        .sql(
          'SELECT token_hash, role, label, created_at FROM api_tokens WHERE tenant_id IS ? ORDER BY created_at, label',
        )
        .all(tenantId) as { token_hash: string; role: Role; label: string; created_at: string }[]
    ).map((row) => ({ id: row.token_hash.slice(0, 16), role: row.role, label: row.label, createdAt: row.created_at }));
  }

  /** Revokes a token of the tenant (the operator's, for null) by its id; it stops working at once. */
  revokeToken(tenantId: string | null, id: string): void {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new StoreError('invalid', 'a token id is 16 hex digits, as listed', 'id');
    const result = this.#db
      .sql('DELETE FROM api_tokens WHERE substr(token_hash, 1, 16) = ? AND tenant_id IS ?')
      .run(id, tenantId);
    if (result.changes === 0) throw new StoreError('not_found', `no token ${id}`, 'id');
  }

  tokenOwner(token: string): TokenOwner | null {
    const row = this.#db
      .sql(
        `SELECT k.tenant_id, k.role, k.label, t.company_id FROM api_tokens k
           LEFT JOIN tenants t ON t.tenant_id = k.tenant_id WHERE k.token_hash = ?`,
      )
      .get(hashSecret(token)) as
      | { tenant_id: string | null; role: Role; label: string; company_id: string | null }
      | undefined;
    return row === undefined
      ? null
      : { tenantId: row.tenant_id, companyId: row.company_id, role: row.role, label: row.label };
  }

  // ---- dashboard users and their sessions -------------------------------------------

  /** A person who signs in to the dashboard; the caller hashes the password (slowly, off the loop). */
  createUser(
    tenantId: string,
    user: { login: string; name: string; role: 'admin' | 'viewer'; passwordHash: string },
  ): User {
    const created: User = {
      userId: `u_${randomBytes(9).toString('base64url')}`,
      tenantId,
      login: user.login,
      name: user.name,
      role: user.role,
      createdAt: this.#db.iso(),
    };
    try {
      this.#db
        .sql(
          `INSERT INTO users (user_id, tenant_id, login, name, role, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(created.userId, tenantId, user.login, user.name, user.role, user.passwordHash, created.createdAt);
    } catch (error) {
      throw fromSqlite(error, `a user with login ${user.login}`, 'login');
    }
    return created;
  }

  users(tenantId: string): User[] {
    return (
      this.#db
        .sql('SELECT user_id, tenant_id, login, name, role, created_at FROM users WHERE tenant_id = ? ORDER BY login')
        .all(tenantId) as UserRow[]
    ).map(userFromRow);
  }

  /** Removes the user and ends its sessions at once. */
  removeUser(tenantId: string, userId: string): void {
    const result = this.#db.sql('DELETE FROM users WHERE user_id = ? AND tenant_id = ?').run(userId, tenantId);
    if (result.changes === 0) throw new StoreError('not_found', `no user ${userId}`, 'userId');
  }

  /** What sign-in checks a password against; null when no such login exists. */
  userForSignIn(login: string): (SignedIn & { passwordHash: string }) | null {
    const row = this.#db
      .sql(
        `SELECT u.user_id, u.tenant_id, u.login, u.name, u.role, u.password_hash, t.company_id, t.name AS tenant_name
           FROM users u JOIN tenants t ON t.tenant_id = u.tenant_id WHERE u.login = ?`,
      )
      .get(login) as (UserRow & { password_hash: string; company_id: string; tenant_name: string }) | undefined;
    return row === undefined ? null : { ...signedInFromRow(row), passwordHash: row.password_hash };
  }

  /** Opens a session for the user; only the hash of the returned token is kept. */
  createSession(userId: string, lifetimeMs: number, token = generateSecret('cgw')): { token: string } {
    const now = Date.parse(this.#db.iso());
    this.#db.sql('DELETE FROM web_sessions WHERE expires_at < ?').run(new Date(now).toISOString());
    this.#db
      .sql('INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashSecret(token), userId, new Date(now).toISOString(), new Date(now + lifetimeMs).toISOString());
    return { token };
  }

  /** The session's user, or null when the token is unknown, expired, or its user was removed. */
  session(token: string): SignedIn | null {
    const row = this.#db
      .sql(
        `SELECT u.user_id, u.tenant_id, u.login, u.name, u.role, t.company_id, t.name AS tenant_name
           FROM web_sessions s JOIN users u ON u.user_id = s.user_id JOIN tenants t ON t.tenant_id = u.tenant_id
          WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(hashSecret(token), this.#db.iso()) as (UserRow & { company_id: string; tenant_name: string }) | undefined;
    return row === undefined ? null : signedInFromRow(row);
  }

  endSession(token: string): void {
    this.#db.sql('DELETE FROM web_sessions WHERE token_hash = ?').run(hashSecret(token));
  }

  // ---- sites --------------------------------------------------------------------------

  /** The tenant registers the site as its prime contractor. */
  createSite(site: {
    siteId: SiteId;
    tenantId: string;
    name: string;
    rule: WorkingDayRule;
    maxShiftHours?: number;
  }): void {
    try {
      this.#db
        .sql(
          `INSERT INTO sites (site_id, tenant_id, name, time_zone, day_boundary, max_shift_hours, prime_company_id)
           VALUES (?, ?, ?, ?, ?, ?, (SELECT company_id FROM tenants WHERE tenant_id = ?))`,
        )
        .run(
          site.siteId,
          site.tenantId,
          site.name,
          site.rule.timeZone,
          site.rule.dayBoundary,
          site.maxShiftHours ?? DEFAULT_MAX_SHIFT_HOURS,
          site.tenantId,
        );
    } catch (error) {
      throw fromSqlite(error, `site ${site.siteId}`, 'siteId');
    }
  }

  /** How the tenant sees the site, or null when it may not. */
  siteAccess(scope: TenantScope, siteId: string): SiteAccess | null {
    const row = this.#db
      .sql(`WITH ${VISIBLE_SITES} SELECT scope FROM visible WHERE site_id = @siteId`)
      .get({ ...scope, siteId }) as { scope: SiteAccess } | undefined;
    return row?.scope ?? null;
  }

  /** Throws not_found unless the tenant sees the site (as prime, when `prime` is asked). */
  requireSite(scope: TenantScope, siteId: string, need: 'any' | 'prime' = 'any'): SiteAccess {
    const access = this.siteAccess(scope, siteId);
    if (access === null) throw new StoreError('not_found', `no site ${siteId}`, 'siteId');
    if (need === 'prime' && access !== 'prime') {
      throw new StoreError('forbidden', `only the prime contractor of site ${siteId} may do this`, 'siteId');
    }
    return access;
  }

  sites(scope: TenantScope): Site[] {
    const rows = this.#db
      .sql(`WITH ${VISIBLE_SITES} SELECT s.*, v.scope FROM sites s JOIN visible v USING (site_id) ORDER BY s.site_id`)
      .all(scope) as SiteRow[];
    return rows.map((row) => this.#site(row));
  }

  site(scope: TenantScope, siteId: string): Site {
    const row = this.#db
      .sql(
        `WITH ${VISIBLE_SITES} SELECT s.*, v.scope FROM sites s JOIN visible v USING (site_id) WHERE site_id = @siteId`,
      )
      .get({ ...scope, siteId }) as SiteRow | undefined;
    if (row === undefined) throw new StoreError('not_found', `no site ${siteId}`, 'siteId');
    return this.#site(row);
  }

  #site(row: SiteRow): Site {
    const companies = (
      this.#db.sql('SELECT * FROM site_companies WHERE site_id = ? ORDER BY tier, company_id').all(row.site_id) as {
        company_id: string;
        name: string;
        tier: number;
        parent_company_id: string;
      }[]
    ).map((c) => ({ companyId: c.company_id, name: c.name, tier: c.tier, parentCompanyId: c.parent_company_id }));
    return {
      siteId: row.site_id,
      name: row.name,
      timeZone: row.time_zone,
      dayBoundary: row.day_boundary,
      maxShiftHours: row.max_shift_hours,
      primeCompanyId: row.prime_company_id,
      access: row.scope,
      rosterVersion: row.roster_version,
      companies,
    };
  }

  /**
   * Changes the site's name, working-day rule or maximum shift; returns the terminals whose
   * config changes. Records already built keep their days until something queues them again.
   */
  updateSite(
    scope: TenantScope,
    siteId: string,
    change: { name?: string; rule?: WorkingDayRule; maxShiftHours?: number },
  ): TerminalId[] {
    this.requireSite(scope, siteId, 'prime');
    return this.#db.transaction(() => {
      if (change.name !== undefined)
        this.#db.sql('UPDATE sites SET name = ? WHERE site_id = ?').run(change.name, siteId);
      if (change.maxShiftHours !== undefined) {
        this.#db.sql('UPDATE sites SET max_shift_hours = ? WHERE site_id = ?').run(change.maxShiftHours, siteId);
      }
      if (change.rule !== undefined) {
        this.#db
          .sql('UPDATE sites SET time_zone = ?, day_boundary = ? WHERE site_id = ?')
          .run(change.rule.timeZone, change.rule.dayBoundary, siteId);
      }
      if (change.rule === undefined && change.maxShiftHours === undefined) return [];
      const terminals = this.terminalsAtSite(siteId);
      for (const terminalId of terminals) this.#bumpConfig(terminalId);
      return terminals;
    });
  }

  /**
   * Places a company in the site's structure (施工体制) under a parent already in it (or the
   * prime). Its tenant, if it has one, then sees the site and its own workers there.
   */
  putSiteCompany(scope: TenantScope, siteId: string, company: SiteCompany): void {
    this.requireSite(scope, siteId, 'prime');
    const site = this.site(scope, siteId);
    if (company.companyId === site.primeCompanyId) {
      throw new StoreError('invalid', `company ${company.companyId} is the prime contractor of this site`, 'companyId');
    }
    const parentTier =
      company.parentCompanyId === site.primeCompanyId
        ? 0
        : site.companies.find((c) => c.companyId === company.parentCompanyId)?.tier;
    if (parentTier === undefined) {
      throw new StoreError(
        'invalid',
        `parent company ${company.parentCompanyId} is neither the prime nor in the site's structure`,
        'parentCompanyId',
      );
    }
    if (company.tier !== parentTier + 1) {
      throw new StoreError('invalid', `tier must be ${parentTier + 1}, one below its parent`, 'tier');
    }
    this.#db
      .sql(
        `INSERT INTO site_companies (site_id, company_id, name, tier, parent_company_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (site_id, company_id) DO UPDATE SET name = excluded.name, tier = excluded.tier,
           parent_company_id = excluded.parent_company_id`,
      )
      .run(siteId, company.companyId, company.name, company.tier, company.parentCompanyId);
  }

  removeSiteCompany(scope: TenantScope, siteId: string, companyId: string): void {
    this.requireSite(scope, siteId, 'prime');
    const below = this.#db
      .sql('SELECT count(*) AS n FROM site_companies WHERE site_id = ? AND parent_company_id = ?')
      .get(siteId, companyId) as { n: number };
    if (below.n > 0) {
      throw new StoreError('conflict', `company ${companyId} still has ${below.n} companies under it`, 'companyId');
    }
    const result = this.#db
      .sql('DELETE FROM site_companies WHERE site_id = ? AND company_id = ?')
      .run(siteId, companyId);
    if (result.changes === 0) throw new StoreError('not_found', `company ${companyId} is not on site ${siteId}`);
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
    const now = this.#db.iso();
    this.#db.transaction(() => {
      try {
        this.#db
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
            this.#db.nextVersion(),
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
    const result = this.#db
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
    return this.#db.transaction(() => {
      const current = this.#db.sql('SELECT tenant_id FROM terminals WHERE terminal_id = ?').get(terminalId) as
        | { tenant_id: string | null }
        | undefined;
      if (current === undefined) throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
      const scope = this.tenantScope(lease.tenantId);
      this.requireSite(scope, lease.siteId);
      if (lease.until !== null && lease.until <= lease.from) {
        throw new StoreError('invalid', 'until must be after from', 'until');
      }
      this.#db
        .sql('UPDATE terminal_leases SET lease_until = ? WHERE terminal_id = ? AND lease_until IS NULL')
        .run(lease.from, terminalId);
      this.#db
        .sql(
          `INSERT INTO terminal_leases (terminal_id, tenant_id, site_id, lease_from, lease_until, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(terminalId, lease.tenantId, lease.siteId, lease.from, lease.until, this.#db.iso());
      this.#db
        .sql(
          `UPDATE terminals SET tenant_id = ?, site_id = ?, lease_from = ?, lease_until = ?,
             config = CASE WHEN tenant_id IS ? THEN config ELSE NULL END WHERE terminal_id = ?`,
        )
        .run(lease.tenantId, lease.siteId, lease.from, lease.until, lease.tenantId, terminalId);
      this.#bumpConfig(terminalId);
      this.bumpRoster(lease.siteId);
      return { previousTenantId: current.tenant_id };
    });
  }

  /** Ends the lease: the terminal keeps its credentials but belongs to no tenant and sends nowhere. */
  endLease(terminalId: TerminalId): void {
    this.#db.transaction(() => {
      const result = this.#db
        .sql(
          'UPDATE terminals SET tenant_id = NULL, site_id = NULL, lease_until = ?, config = NULL WHERE terminal_id = ?',
        )
        .run(this.#db.iso(), terminalId);
      if (result.changes === 0) throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
      this.#db
        .sql('UPDATE terminal_leases SET lease_until = ? WHERE terminal_id = ? AND lease_until IS NULL')
        .run(this.#db.iso(), terminalId);
      this.#bumpConfig(terminalId);
    });
  }

  /** Every terminal's broker account, for an external broker's password file. */
  brokerAccounts(): { username: string; hash: string }[] {
    return (
      this.#db
        .sql('SELECT terminal_id, broker_hash FROM terminals WHERE broker_hash IS NOT NULL ORDER BY terminal_id')
        .all() as { terminal_id: string; broker_hash: string }[]
    ).map((row) => ({ username: row.terminal_id, hash: row.broker_hash }));
  }

  terminalSecretMatches(terminalId: string, secret: string): boolean {
    const row = this.#db.sql('SELECT secret_hash FROM terminals WHERE terminal_id = ?').get(terminalId) as
      | { secret_hash: string }
      | undefined;
    return row !== undefined && secretMatches(secret, row.secret_hash);
  }

  terminal(terminalId: TerminalId): TerminalAssignment | null {
    const row = this.#db
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
            this.#db
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
      this.#db.sql('SELECT terminal_id FROM terminals WHERE site_id = ? ORDER BY terminal_id').all(siteId) as {
        terminal_id: TerminalId;
      }[]
    ).map((row) => row.terminal_id);
  }

  allTerminals(): TerminalId[] {
    return (
      this.#db.sql('SELECT terminal_id FROM terminals ORDER BY terminal_id').all() as { terminal_id: TerminalId }[]
    ).map((row) => row.terminal_id);
  }

  setTerminalStatus(terminalId: TerminalId, status: unknown): void {
    this.#db
      .sql('UPDATE terminals SET status = ?, status_at = ? WHERE terminal_id = ?')
      .run(JSON.stringify(status), this.#db.iso(), terminalId);
  }

  /** The terminals leased to the tenant; the operator (no scope) sees the whole fleet. */
  terminals(scope: TenantScope | null): TerminalView[] {
    const rows =
      scope === null
        ? this.#db.sql('SELECT * FROM terminals ORDER BY terminal_id').all()
        : this.#db.sql('SELECT * FROM terminals WHERE tenant_id = ? ORDER BY terminal_id').all(scope.tenantId);
    return (rows as TerminalRow[]).map((row) => terminalFromRow(row, scope));
  }

  terminalView(scope: TenantScope | null, terminalId: string): TerminalView {
    const row = this.#db.sql('SELECT * FROM terminals WHERE terminal_id = ?').get(terminalId) as
      | (TerminalRow & { tenant_id: string | null })
      | undefined;
    if (row === undefined || (scope !== null && row.tenant_id !== scope.tenantId)) {
      throw new StoreError('not_found', `no terminal ${terminalId}`, 'terminalId');
    }
    return terminalFromRow(row, scope);
  }

  setTerminalSettings(scope: TenantScope, terminalId: TerminalId, settings: TerminalSettings): void {
    this.terminalView(scope, terminalId);
    this.#db.transaction(() => {
      this.#db.sql('UPDATE terminals SET config = ? WHERE terminal_id = ?').run(JSON.stringify(settings), terminalId);
      this.#bumpConfig(terminalId);
    });
  }

  /** The config a terminal runs by, or null while it is not leased to a site. */
  configFor(terminalId: TerminalId): TerminalConfig | null {
    const row = this.#db
      .sql(
        `SELECT t.config, t.config_version, s.site_id, s.time_zone, s.day_boundary, s.max_shift_hours
           FROM terminals t JOIN sites s ON s.site_id = t.site_id WHERE t.terminal_id = ?`,
      )
      .get(terminalId) as
      | {
          config: string | null;
          config_version: number;
          site_id: SiteId;
          time_zone: string;
          day_boundary: string;
          max_shift_hours: number;
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
    };
  }

  #bumpConfig(terminalId: string): void {
    this.#db
      .sql('UPDATE terminals SET config_version = ? WHERE terminal_id = ?')
      .run(this.#db.nextVersion(), terminalId);
  }

  protected bumpRoster(siteId: string): void {
    this.#db.sql('UPDATE sites SET roster_version = ? WHERE site_id = ?').run(this.#db.nextVersion(), siteId);
  }
}
