import { type QueryCreator, sql } from 'kysely';
import type { DB } from './schema.js';
import type { SiteAccess } from './site-books.js';

/** Who is asking: every tenant-facing query takes this. */
export interface TenantScope {
  tenantId: string;
  companyId: string;
  /** A user limited to these sites sees only them; absent or null: every site the tenant sees. */
  sites?: readonly string[] | null;
}

/** A scope as values: its site list as JSON text, as an alert subscription keeps it. */
export function scoped(scope: TenantScope): { tenantId: string; companyId: string; siteList: string | null } {
  return {
    tenantId: scope.tenantId,
    companyId: scope.companyId,
    siteList: scope.sites == null ? null : JSON.stringify(scope.sites),
  };
}

/** Whether the scope may see this site at all (a user limited to sites; the tenant's own rules aside). */
export function withinSites(scope: TenantScope, siteId: string): boolean {
  return scope.sites == null || scope.sites.includes(siteId);
}

/** The rows a scope's site list lets through: all without a list, none with an empty one. */
const onListedSites = (scope: TenantScope, column: string) =>
  scope.sites == null
    ? sql<boolean>`true`
    : scope.sites.length === 0
      ? sql<boolean>`false`
      : sql<boolean>`${sql.ref(column)} IN (${sql.join([...scope.sites])})`;

/**
 * The sites a tenant may see: `db.with('visible', visibleSites(scope))` gives the CTE `visible`
 * (site_id, scope), `prime` for sites it registered as prime contractor, `sub` for sites whose
 * structure lists its company; for a user limited to some sites, only those (written in as
 * values). A subcontractor sees only its own workers there: join `workers w` and apply
 * workerInScope.
 */
export const visibleSites = (scope: TenantScope) => (qb: QueryCreator<DB>) =>
  qb
    .selectFrom('sites as s')
    .select(['s.site_id', sql<SiteAccess>`'prime'`.as('scope')])
    .where('s.tenant_id', '=', scope.tenantId)
    .where(onListedSites(scope, 's.site_id'))
    .unionAll(
      qb
        .selectFrom('site_companies as sc')
        .innerJoin('sites as s', 's.site_id', 'sc.site_id')
        .select(['sc.site_id', sql<SiteAccess>`'sub'`.as('scope')])
        .where('sc.company_id', '=', scope.companyId)
        .where('s.tenant_id', '<>', scope.tenantId)
        .where(onListedSites(scope, 's.site_id')),
    );

/** With `visible v` and `workers w` joined: the prime sees every worker, a subcontractor its own employees. */
export const workerInScope = (scope: TenantScope) =>
  sql<boolean>`(v.scope = 'prime' OR w.employer_company_id = ${scope.companyId})`;

/**
 * A join condition on `workers w`: whose books say who a record's (or tap's) worker is, for
 * the caller: the roster place's, else the caller's own. A subcontractor thus sees its
 * employees' records at a prime's site.
 */
export const workerBooks = (alias: string, scope: TenantScope) =>
  sql<boolean>`w.tenant_id = coalesce(
    (SELECT sr.tenant_id FROM site_roster sr
      WHERE sr.site_id = ${sql.ref(`${alias}.site_id`)} AND sr.worker_id = ${sql.ref(`${alias}.worker_id`)}),
    ${scope.tenantId})`;
