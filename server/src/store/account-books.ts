import { randomBytes } from 'node:crypto';
import { generateSecret, hashSecret } from '../credentials.js';
import type { SqliteDb } from './sqlite-db.js';
import { fromSqlite, StoreError } from './store-error.js';
import type { TenantScope } from './tenant-scope.js';

export type Role = 'operator' | 'admin' | 'viewer';

export interface TokenOwner {
  /** null for the fleet operator, who belongs to no tenant. */
  tenantId: string | null;
  companyId: string | null;
  role: Role;
  label: string;
}

/** An API token as listed: `id` is the start of its hash; the secret is never shown again. */
export interface ApiTokenInfo {
  id: string;
  role: Role;
  label: string;
  createdAt: string;
}

export interface User {
  userId: string;
  tenantId: string;
  login: string;
  name: string;
  role: 'admin' | 'viewer';
  createdAt: string;
  /** Signs in with a code from an authenticator app as well as the password. */
  twoFactor: boolean;
  /** The only sites the user sees and changes; null: every site of the tenant. */
  sites: string[] | null;
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
  /** The only sites the user sees and changes; null: every site of the tenant. */
  sites: string[] | null;
}

interface UserRow {
  user_id: string;
  tenant_id: string;
  login: string;
  name: string;
  role: 'admin' | 'viewer';
  created_at: string;
  two_factor?: number;
  sites: string | null;
}

const sitesOf = (row: UserRow): string[] | null => (row.sites === null ? null : (JSON.parse(row.sites) as string[]));

const userFromRow = (row: UserRow): User => ({
  userId: row.user_id,
  tenantId: row.tenant_id,
  login: row.login,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  twoFactor: row.two_factor === 1,
  sites: sitesOf(row),
});

const signedInFromRow = (row: UserRow & { company_id: string; tenant_name: string }): SignedIn => ({
  userId: row.user_id,
  tenantId: row.tenant_id,
  companyId: row.company_id,
  tenantName: row.tenant_name,
  login: row.login,
  name: row.name,
  role: row.role,
  sites: sitesOf(row),
});

export interface Tenant {
  tenantId: string;
  companyId: string;
  name: string;
  createdAt: string;
}

/**
 * Tenants and their API tokens, dashboard users and their sessions: who may sign in, and as
 * whom. Only hashes of tokens, session tokens and passwords are kept.
 */
export abstract class AccountBooks {
  protected readonly db: SqliteDb;

  protected constructor(db: SqliteDb) {
    this.db = db;
  }

  // ---- tenants and tokens -----------------------------------------------------------

  createTenant(tenant: { tenantId: string; companyId: string; name: string }): Tenant {
    const createdAt = this.db.iso();
    try {
      this.db
        .sql('INSERT INTO tenants (tenant_id, company_id, name, created_at) VALUES (?, ?, ?, ?)')
        .run(tenant.tenantId, tenant.companyId, tenant.name, createdAt);
    } catch (error) {
      throw fromSqlite(error, `a tenant with id ${tenant.tenantId} or company ${tenant.companyId}`, 'tenantId');
    }
    return { ...tenant, createdAt };
  }

  tenants(): Tenant[] {
    return (
      this.db.sql('SELECT * FROM tenants ORDER BY tenant_id').all() as {
        tenant_id: string;
        company_id: string;
        name: string;
        created_at: string;
      }[]
    ).map((row) => ({ tenantId: row.tenant_id, companyId: row.company_id, name: row.name, createdAt: row.created_at }));
  }

  tenantScope(tenantId: string): TenantScope {
    const row = this.db.sql('SELECT company_id FROM tenants WHERE tenant_id = ?').get(tenantId) as
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
      this.db
        .sql('INSERT INTO api_tokens (token_hash, tenant_id, role, label, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(hashSecret(token), tenantId, role, label, this.db.iso());
    } catch (error) {
      throw fromSqlite(error, `tenant ${tenantId}`, 'tenantId');
    }
    return token;
  }

  /** A tenant's tokens (the operator's, for null), never the secrets: `id` is the start of the hash. */
  tokens(tenantId: string | null): ApiTokenInfo[] {
    return (
      this.db
        .sql(
          'SELECT token_hash, role, label, created_at FROM api_tokens WHERE tenant_id IS ? ORDER BY created_at, label',
        )
        .all(tenantId) as { token_hash: string; role: Role; label: string; created_at: string }[]
    ).map((row) => ({ id: row.token_hash.slice(0, 16), role: row.role, label: row.label, createdAt: row.created_at }));
  }

  /** Revokes a token of the tenant (the operator's, for null) by its id; it stops working at once. */
  revokeToken(tenantId: string | null, id: string): void {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new StoreError('invalid', 'a token id is 16 hex digits, as listed', 'id');
    const result = this.db
      .sql('DELETE FROM api_tokens WHERE substr(token_hash, 1, 16) = ? AND tenant_id IS ?')
      .run(id, tenantId);
    if (result.changes === 0) throw new StoreError('not_found', `no token ${id}`, 'id');
  }

  tokenOwner(token: string): TokenOwner | null {
    const row = this.db
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
      createdAt: this.db.iso(),
      twoFactor: false,
      sites: null,
    };
    try {
      this.db
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
      this.db
        .sql(
          `SELECT user_id, tenant_id, login, name, role, created_at, sites, totp_secret IS NOT NULL AS two_factor
             FROM users WHERE tenant_id = ? ORDER BY login`,
        )
        .all(tenantId) as UserRow[]
    ).map(userFromRow);
  }

  /** Removes the user and ends its sessions at once. */
  removeUser(tenantId: string, userId: string): void {
    const result = this.db.sql('DELETE FROM users WHERE user_id = ? AND tenant_id = ?').run(userId, tenantId);
    if (result.changes === 0) throw new StoreError('not_found', `no user ${userId}`, 'userId');
  }

  /** A new password: every session of the user ends at once, so a stolen cookie stops working too. */
  setPassword(tenantId: string, userId: string, passwordHash: string): void {
    this.db.transaction(() => {
      const result = this.db
        .sql('UPDATE users SET password_hash = ? WHERE user_id = ? AND tenant_id = ?')
        .run(passwordHash, userId, tenantId);
      if (result.changes === 0) throw new StoreError('not_found', `no user ${userId}`, 'userId');
      this.db.sql('DELETE FROM web_sessions WHERE user_id = ?').run(userId);
    });
  }

  /** What sign-in checks a password (and a second factor) against; null when no such login exists. */
  userForSignIn(login: string): (SignedIn & { passwordHash: string; totpSecret: string | null }) | null {
    const row = this.db
      .sql(
        `SELECT u.user_id, u.tenant_id, u.login, u.name, u.role, u.sites, u.password_hash, u.totp_secret, t.company_id,
                t.name AS tenant_name
           FROM users u JOIN tenants t ON t.tenant_id = u.tenant_id WHERE u.login = ?`,
      )
      .get(login) as
      | (UserRow & { password_hash: string; totp_secret: string | null; company_id: string; tenant_name: string })
      | undefined;
    return row === undefined
      ? null
      : { ...signedInFromRow(row), passwordHash: row.password_hash, totpSecret: row.totp_secret };
  }

  /** Turns two-factor sign-in on (a base32 secret) or off (null) for the user. */
  setTotp(tenantId: string, userId: string, secret: string | null): void {
    const result = this.db
      .sql('UPDATE users SET totp_secret = ?, totp_last_step = NULL WHERE user_id = ? AND tenant_id = ?')
      .run(secret, userId, tenantId);
    if (result.changes === 0) throw new StoreError('not_found', `no user ${userId}`, 'userId');
  }

  /** Takes a code's time step as used: false when it (or a later one) was used already, a replay. */
  useTotpStep(userId: string, step: number): boolean {
    return (
      this.db
        .sql(`UPDATE users SET totp_last_step = ? WHERE user_id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)`)
        .run(step, userId, step).changes === 1
    );
  }

  /** Opens a session for the user; only the hash of the returned token is kept. */
  createSession(userId: string, lifetimeMs: number, token = generateSecret('cgw')): { token: string } {
    const now = Date.parse(this.db.iso());
    this.db.sql('DELETE FROM web_sessions WHERE expires_at < ?').run(new Date(now).toISOString());
    this.db
      .sql('INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashSecret(token), userId, new Date(now).toISOString(), new Date(now + lifetimeMs).toISOString());
    return { token };
  }

  /** The session's user, or null when the token is unknown, expired, or its user was removed. */
  session(token: string): SignedIn | null {
    const row = this.db
      .sql(
        `SELECT u.user_id, u.tenant_id, u.login, u.name, u.role, u.sites, t.company_id, t.name AS tenant_name
           FROM web_sessions s JOIN users u ON u.user_id = s.user_id JOIN tenants t ON t.tenant_id = u.tenant_id
          WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(hashSecret(token), this.db.iso()) as (UserRow & { company_id: string; tenant_name: string }) | undefined;
    return row === undefined ? null : signedInFromRow(row);
  }

  // ---- the fleet operator on the dashboard --------------------------------------------

  /**
   * Opens the fleet pages for the holder of an operator API token; null for any other token.
   * Only the hash of the returned session token is kept, and revoking the API token ends it.
   */
  createOperatorSession(apiToken: string, lifetimeMs: number, token = generateSecret('cgo')): { token: string } | null {
    const apiTokenHash = hashSecret(apiToken);
    const operator = this.db
      .sql(`SELECT 1 FROM api_tokens WHERE token_hash = ? AND role = 'operator'`)
      .get(apiTokenHash);
    if (operator === undefined) return null;
    const now = Date.parse(this.db.iso());
    this.db.sql('DELETE FROM operator_sessions WHERE expires_at < ?').run(new Date(now).toISOString());
    this.db
      .sql('INSERT INTO operator_sessions (token_hash, api_token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)')
      .run(hashSecret(token), apiTokenHash, new Date(now).toISOString(), new Date(now + lifetimeMs).toISOString());
    return { token };
  }

  /** The operator's session: the label of the token it was opened with, or null (unknown, expired, revoked). */
  operatorSession(token: string): { label: string } | null {
    const row = this.db
      .sql(
        `SELECT k.label FROM operator_sessions s JOIN api_tokens k ON k.token_hash = s.api_token_hash
          WHERE s.token_hash = ? AND s.expires_at > ?`,
      )
      .get(hashSecret(token), this.db.iso()) as { label: string } | undefined;
    return row ?? null;
  }

  endOperatorSession(token: string): void {
    this.db.sql('DELETE FROM operator_sessions WHERE token_hash = ?').run(hashSecret(token));
  }

  endSession(token: string): void {
    this.db.sql('DELETE FROM web_sessions WHERE token_hash = ?').run(hashSecret(token));
  }
}
