import { randomBytes } from 'node:crypto';
import { generateSecret, hashSecret } from '../credentials.js';
import { AccountBooks } from './account-books.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, mapFirst, mapRows, mapWork, mustChange, refusing } from './engine/work.js';
import { StoreError } from './store-error.js';

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

/** As the schema types it (a TEXT primary key SQLite lets be null, roles as text). */
interface UserRow {
  user_id: string | null;
  tenant_id: string;
  login: string;
  name: string;
  role: string;
  created_at?: string;
  two_factor?: number;
  sites: string | null;
}

const USER_COLUMNS = ['u.user_id', 'u.tenant_id', 'u.login', 'u.name', 'u.role', 'u.sites'] as const;

const sitesOf = (row: UserRow): string[] | null => (row.sites === null ? null : (JSON.parse(row.sites) as string[]));

const userFromRow = (row: UserRow): User => ({
  userId: row.user_id as string,
  tenantId: row.tenant_id,
  login: row.login,
  name: row.name,
  role: row.role as User['role'],
  createdAt: row.created_at as string,
  twoFactor: row.two_factor === 1,
  sites: sitesOf(row),
});

const signedInFromRow = (row: UserRow & { company_id: string; tenant_name: string }): SignedIn => ({
  userId: row.user_id as string,
  tenantId: row.tenant_id,
  companyId: row.company_id,
  tenantName: row.tenant_name,
  login: row.login,
  name: row.name,
  role: row.role as SignedIn['role'],
  sites: sitesOf(row),
});

/**
 * Dashboard users and their sessions, and the fleet operator's: who may sign in, and as whom.
 * Only hashes of session tokens and passwords are kept.
 */
export abstract class UserBooks<E extends StoreEngine = StoreEngine> extends AccountBooks<E> {
  // ---- dashboard users and their sessions -------------------------------------------

  /** A person who signs in to the dashboard; the caller hashes the password (slowly, off the loop). */
  createUser(
    tenantId: string,
    user: { login: string; name: string; role: 'admin' | 'viewer'; passwordHash: string },
  ): Answer<E, User> {
    const created: User = {
      userId: `u_${randomBytes(9).toString('base64url')}`,
      tenantId,
      login: user.login,
      name: user.name,
      role: user.role,
      createdAt: this.iso(),
      twoFactor: false,
      sites: null,
    };
    const db = this.db;
    return this.transaction(function* () {
      // Logins are one regardless of case (SQLite's NOCASE column, PostgreSQL's index on lower()).
      const taken = yield* firstRow(
        db
          .selectFrom('users')
          .select('user_id')
          .where((eb) => eb(eb.fn('lower', ['login']), '=', eb.fn('lower', [eb.val(user.login)]))),
      );
      if (taken !== undefined)
        throw new StoreError('conflict', `a user with login ${user.login} already exists`, 'login');
      yield* refusing(
        db.insertInto('users').values({
          user_id: created.userId,
          tenant_id: tenantId,
          login: user.login,
          name: user.name,
          role: user.role,
          password_hash: user.passwordHash,
          created_at: created.createdAt,
        }),
        `a user with login ${user.login}`,
        'login',
      );
      return created;
    });
  }

  users(tenantId: string): Answer<E, User[]> {
    const query = this.db
      .selectFrom('users as u')
      .select([...USER_COLUMNS, 'u.created_at'])
      .select((eb) => eb.case().when('u.totp_secret', 'is', null).then(0).else(1).end().as('two_factor'))
      .where('u.tenant_id', '=', tenantId)
      .orderBy('u.login');
    return this.run(mapRows(query, (row) => userFromRow(row)));
  }

  /** Removes the user and ends its sessions at once. */
  removeUser(tenantId: string, userId: string): Answer<E, void> {
    const remove = this.db.deleteFrom('users').where('user_id', '=', userId).where('tenant_id', '=', tenantId);
    return this.run(mustChange(remove, () => new StoreError('not_found', `no user ${userId}`, 'userId')));
  }

  /** A new password: every session of the user ends at once, so a stolen cookie stops working too. */
  setPassword(tenantId: string, userId: string, passwordHash: string): Answer<E, void> {
    const db = this.db;
    return this.transaction(function* () {
      yield* mustChange(
        db
          .updateTable('users')
          .set({ password_hash: passwordHash })
          .where('user_id', '=', userId)
          .where('tenant_id', '=', tenantId),
        () => new StoreError('not_found', `no user ${userId}`, 'userId'),
      );
      yield* execute(db.deleteFrom('web_sessions').where('user_id', '=', userId));
    });
  }

  /** What sign-in checks a password (and a second factor) against; null when no such login exists. */
  userForSignIn(login: string): Answer<E, (SignedIn & { passwordHash: string; totpSecret: string | null }) | null> {
    const query = this.db
      .selectFrom('users as u')
      .innerJoin('tenants as t', 't.tenant_id', 'u.tenant_id')
      .select([...USER_COLUMNS, 'u.password_hash', 'u.totp_secret', 't.company_id', 't.name as tenant_name'])
      .where((eb) => eb(eb.fn('lower', ['u.login']), '=', eb.fn('lower', [eb.val(login)])));
    return this.run(
      mapFirst(query, (row) => ({
        ...signedInFromRow(row),
        passwordHash: row.password_hash,
        totpSecret: row.totp_secret,
      })),
    );
  }

  /** Turns two-factor sign-in on (a base32 secret) or off (null) for the user. */
  setTotp(tenantId: string, userId: string, secret: string | null): Answer<E, void> {
    const update = this.db
      .updateTable('users')
      .set({ totp_secret: secret, totp_last_step: null })
      .where('user_id', '=', userId)
      .where('tenant_id', '=', tenantId);
    return this.run(mustChange(update, () => new StoreError('not_found', `no user ${userId}`, 'userId')));
  }

  /** Takes a code's time step as used: false when it (or a later one) was used already, a replay. */
  useTotpStep(userId: string, step: number): Answer<E, boolean> {
    const update = this.db
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]));
    return this.run(mapWork(execute(update), (changed) => changed === 1));
  }

  /** Opens a session for the user; only the hash of the returned token is kept. */
  createSession(userId: string, lifetimeMs: number, token = generateSecret('cgw')): Answer<E, { token: string }> {
    const now = this.engine.now().getTime();
    const db = this.db;
    return this.transaction(function* () {
      yield* execute(db.deleteFrom('web_sessions').where('expires_at', '<', new Date(now).toISOString()));
      yield* execute(
        db.insertInto('web_sessions').values({
          token_hash: hashSecret(token),
          user_id: userId,
          created_at: new Date(now).toISOString(),
          expires_at: new Date(now + lifetimeMs).toISOString(),
        }),
      );
      return { token };
    });
  }

  /** The session's user, or null when the token is unknown, expired, or its user was removed. */
  session(token: string): Answer<E, SignedIn | null> {
    const query = this.db
      .selectFrom('web_sessions as s')
      .innerJoin('users as u', 'u.user_id', 's.user_id')
      .innerJoin('tenants as t', 't.tenant_id', 'u.tenant_id')
      .select([...USER_COLUMNS, 't.company_id', 't.name as tenant_name'])
      .where('s.token_hash', '=', hashSecret(token))
      .where('s.expires_at', '>', this.iso());
    return this.run(mapFirst(query, (row) => signedInFromRow(row)));
  }

  // ---- the fleet operator on the dashboard --------------------------------------------

  /**
   * Opens the fleet pages for the holder of an operator API token; null for any other token.
   * Only the hash of the returned session token is kept, and revoking the API token ends it.
   */
  createOperatorSession(
    apiToken: string,
    lifetimeMs: number,
    token = generateSecret('cgo'),
  ): Answer<E, { token: string } | null> {
    const apiTokenHash = hashSecret(apiToken);
    const now = this.engine.now().getTime();
    const db = this.db;
    return this.transaction(function* () {
      const operator = yield* firstRow(
        db
          .selectFrom('api_tokens')
          .select('token_hash')
          .where('token_hash', '=', apiTokenHash)
          .where('role', '=', 'operator'),
      );
      if (operator === undefined) return null;
      yield* execute(db.deleteFrom('operator_sessions').where('expires_at', '<', new Date(now).toISOString()));
      yield* execute(
        db.insertInto('operator_sessions').values({
          token_hash: hashSecret(token),
          api_token_hash: apiTokenHash,
          created_at: new Date(now).toISOString(),
          expires_at: new Date(now + lifetimeMs).toISOString(),
        }),
      );
      return { token };
    });
  }

  /** The operator's session: the label of the token it was opened with, or null (unknown, expired, revoked). */
  operatorSession(token: string): Answer<E, { label: string } | null> {
    const query = this.db
      .selectFrom('operator_sessions as s')
      .innerJoin('api_tokens as k', 'k.token_hash', 's.api_token_hash')
      .select('k.label')
      .where('s.token_hash', '=', hashSecret(token))
      .where('s.expires_at', '>', this.iso());
    return this.run(mapFirst(query, (row) => row));
  }

  endOperatorSession(token: string): Answer<E, number> {
    return this.run(execute(this.db.deleteFrom('operator_sessions').where('token_hash', '=', hashSecret(token))));
  }

  endSession(token: string): Answer<E, number> {
    return this.run(execute(this.db.deleteFrom('web_sessions').where('token_hash', '=', hashSecret(token))));
  }
}
