import { generateSecret, hashSecret } from '../credentials.js';
import { EngineStore } from './engine/engine-store.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { firstRow, mapFirst, mapRows, mustChange, refusing, type Work } from './engine/work.js';
import { StoreError } from './store-error.js';
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

export interface Tenant {
  tenantId: string;
  companyId: string;
  name: string;
  createdAt: string;
}

/**
 * Tenants and their API tokens: who may call the API, and as whom. Only hashes of tokens are
 * kept. Dashboard users and their sessions are user-books.ts.
 */
export abstract class AccountBooks<E extends StoreEngine = StoreEngine> extends EngineStore<E> {
  // ---- tenants and tokens -----------------------------------------------------------

  createTenant(tenant: { tenantId: string; companyId: string; name: string }): Answer<E, Tenant> {
    const createdAt = this.iso();
    const db = this.db;
    return this.run(
      (function* () {
        yield* refusing(
          db.insertInto('tenants').values({
            tenant_id: tenant.tenantId,
            company_id: tenant.companyId,
            name: tenant.name,
            created_at: createdAt,
          }),
          `a tenant with id ${tenant.tenantId} or company ${tenant.companyId}`,
          'tenantId',
        );
        return { ...tenant, createdAt };
      })(),
    );
  }

  tenants(): Answer<E, Tenant[]> {
    return this.run(
      mapRows(this.db.selectFrom('tenants').selectAll().orderBy('tenant_id'), (row) => ({
        tenantId: row.tenant_id as string,
        companyId: row.company_id,
        name: row.name,
        createdAt: row.created_at,
      })),
    );
  }

  tenantScope(tenantId: string): Answer<E, TenantScope> {
    return this.run(this.tenantScopeWork(tenantId));
  }

  protected *tenantScopeWork(tenantId: string): Work<TenantScope> {
    const row = yield* firstRow(this.db.selectFrom('tenants').select('company_id').where('tenant_id', '=', tenantId));
    if (row === undefined) throw new StoreError('not_found', `no tenant ${tenantId}`, 'tenantId');
    return { tenantId, companyId: row.company_id };
  }

  /** Returns the token; only its hash is kept. An operator token has no tenant. */
  createApiToken(tenantId: string | null, role: Role, label: string, token = generateSecret('ccg')): Answer<E, string> {
    if ((role === 'operator') !== (tenantId === null)) {
      throw new StoreError('invalid', 'operator tokens belong to no tenant; admin and viewer tokens to one', 'role');
    }
    const insert = this.db.insertInto('api_tokens').values({
      token_hash: hashSecret(token),
      tenant_id: tenantId,
      role,
      label,
      created_at: this.iso(),
    });
    return this.run(
      (function* () {
        yield* refusing(insert, `tenant ${tenantId}`, 'tenantId');
        return token;
      })(),
    );
  }

  /** A tenant's tokens (the operator's, for null), never the secrets: `id` is the start of the hash. */
  tokens(tenantId: string | null): Answer<E, ApiTokenInfo[]> {
    const query = this.db
      .selectFrom('api_tokens')
      .select(['token_hash', 'role', 'label', 'created_at'])
      .where('tenant_id', 'is not distinct from', tenantId)
      .orderBy('created_at')
      .orderBy('label');
    return this.run(
      mapRows(query, (row) => ({
        id: (row.token_hash as string).slice(0, 16),
        role: row.role as Role,
        label: row.label,
        createdAt: row.created_at,
      })),
    );
  }

  /** Revokes a token of the tenant (the operator's, for null) by its id; it stops working at once. */
  revokeToken(tenantId: string | null, id: string): Answer<E, void> {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new StoreError('invalid', 'a token id is 16 hex digits, as listed', 'id');
    const remove = this.db
      .deleteFrom('api_tokens')
      .where((eb) => eb.fn('substr', ['token_hash', eb.val(1), eb.val(16)]), '=', id)
      .where('tenant_id', 'is not distinct from', tenantId);
    return this.run(mustChange(remove, () => new StoreError('not_found', `no token ${id}`, 'id')));
  }

  tokenOwner(token: string): Answer<E, TokenOwner | null> {
    const query = this.db
      .selectFrom('api_tokens as k')
      .leftJoin('tenants as t', 't.tenant_id', 'k.tenant_id')
      .select(['k.tenant_id', 'k.role', 'k.label', 't.company_id'])
      .where('k.token_hash', '=', hashSecret(token));
    return this.run(
      mapFirst(query, (row) => ({
        tenantId: row.tenant_id,
        companyId: row.company_id,
        role: row.role as Role,
        label: row.label,
      })),
    );
  }
}
