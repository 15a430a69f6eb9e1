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
