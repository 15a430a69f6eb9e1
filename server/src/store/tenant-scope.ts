import { type QueryCreator, sql } from 'kysely';
import type { DB } from './schema.js';
import type { SiteAccess } from './site-books.js';

/**
 * The sites a tenant may see, as a CTE named `visible` with (site_id, scope): `prime` for
 * sites it registered as prime contractor, `sub` for sites whose structure lists its company;
 * for a user limited to some sites, only those. A subcontractor sees only its own workers
 * there: join `workers` and apply WORKER_IN_SCOPE. Takes the named parameters of `scoped()`.
 */
export const VISIBLE_SITES = `visible AS (
    SELECT s.site_id, 'prime' AS scope FROM sites s WHERE s.tenant_id = @tenantId
      AND (@siteList IS NULL OR s.site_id IN (SELECT value FROM json_each(@siteList)))
    UNION ALL
    SELECT sc.site_id, 'sub' AS scope FROM site_companies sc JOIN sites s ON s.site_id = sc.site_id
      WHERE sc.company_id = @companyId AND s.tenant_id <> @tenantId
        AND (@siteList IS NULL OR s.site_id IN (SELECT value FROM json_each(@siteList)))
  )`;

/** With `visible v` and `workers w` joined: the prime sees every worker, a subcontractor its own employees. */
export const WORKER_IN_SCOPE = `(v.scope = 'prime' OR w.employer_company_id = @companyId)`;

/** Who is asking: every tenant-facing query takes this. */
export interface TenantScope {
  tenantId: string;
  companyId: string;
  /** A user limited to these sites sees only them; absent or null: every site the tenant sees. */
  sites?: readonly string[] | null;
}

/** A scope as a statement's named parameters (@tenantId, @companyId, @siteList). */
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

/**
 * Whose books say who a record's (or tap's) worker is, for the caller: the roster place's, else
 * the caller's own. A subcontractor thus sees its employees' records at a prime's site.
 */
export const WORKER_BOOKS = (alias: string): string => `coalesce(
    (SELECT sr.tenant_id FROM site_roster sr WHERE sr.site_id = ${alias}.site_id AND sr.worker_id = ${alias}.worker_id),
    @tenantId)`;

/** The rows a scope's site list lets through: all without a list, none with an empty one. */
const onListedSites = (scope: TenantScope, column: string) =>
  scope.sites == null
    ? sql<boolean>`true`
    : scope.sites.length === 0
      ? sql<boolean>`false`
      : sql<boolean>`${sql.ref(column)} IN (${sql.join([...scope.sites])})`;

/**
 * VISIBLE_SITES for the stores written for both engines: `db.with('visible', visibleSites(scope))`
 * gives the CTE `visible` (site_id, scope), the user's site list written in as values.
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

/** WORKER_IN_SCOPE, with `visible v` and `workers w` joined: the prime's every worker, a subcontractor's own. */
export const workerInScope = (scope: TenantScope) =>
  sql<boolean>`(v.scope = 'prime' OR w.employer_company_id = ${scope.companyId})`;

/** WORKER_BOOKS as a join condition on `workers w`: the worker's entry in the books the caller reads them from. */
export const workerBooks = (alias: string, scope: TenantScope) =>
  sql<boolean>`w.tenant_id = coalesce(
    (SELECT sr.tenant_id FROM site_roster sr
      WHERE sr.site_id = ${sql.ref(`${alias}.site_id`)} AND sr.worker_id = ${sql.ref(`${alias}.worker_id`)}),
    ${scope.tenantId})`;
