import {
  DEFAULT_MAX_SHIFT_HOURS,
  type GateLanguage,
  type SiteId,
  type TerminalId,
  type WorkingDayRule,
} from '@ccus-gate/protocol';
import { AccountBooks } from './account-books.js';
import type { SqliteDb } from './sqlite-db.js';
import { fromSqlite, StoreError } from './store-error.js';
import { scoped, type TenantScope, VISIBLE_SITES } from './tenant-scope.js';

export type SiteAccess = 'prime' | 'sub';

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
  /** The language of the gate's display (ja, en, vi, id). */
  language: GateLanguage;
  primeCompanyId: string;
  access: SiteAccess;
  rosterVersion: number;
  companies: SiteCompany[];
}

interface SiteRow {
  site_id: string;
  name: string;
  time_zone: string;
  day_boundary: string;
  max_shift_hours: number;
  language: GateLanguage;
  prime_company_id: string;
  roster_version: number;
  scope: SiteAccess;
}

/**
 * Sites and their structure (施工体制: the prime and its subcontractors, tier by tier): who
 * sees a site, as prime or subcontractor, and the rule of its working day.
 */
export abstract class SiteBooks extends AccountBooks {
  protected constructor(db: SqliteDb) {
    super(db);
  }

  /** A terminal's config changed (its site's rule did): terminal-books.ts keeps the versions. */
  protected abstract bumpConfig(terminalId: string): void;
  /** The terminals leased at a site, told when its rule changes (terminal-books.ts). */
  abstract terminalsAtSite(siteId: string): TerminalId[];

  // ---- sites --------------------------------------------------------------------------

  /** The tenant registers the site as its prime contractor. */
  createSite(site: {
    siteId: SiteId;
    tenantId: string;
    name: string;
    rule: WorkingDayRule;
    maxShiftHours?: number;
    language?: GateLanguage;
  }): void {
    try {
      this.db
        .sql(
          `INSERT INTO sites (site_id, tenant_id, name, time_zone, day_boundary, max_shift_hours, language, prime_company_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT company_id FROM tenants WHERE tenant_id = ?))`,
        )
        .run(
          site.siteId,
          site.tenantId,
          site.name,
          site.rule.timeZone,
          site.rule.dayBoundary,
          site.maxShiftHours ?? DEFAULT_MAX_SHIFT_HOURS,
          site.language ?? 'ja',
          site.tenantId,
        );
    } catch (error) {
      throw fromSqlite(error, `site ${site.siteId}`, 'siteId');
    }
  }

  /** How the tenant sees the site, or null when it may not. */
  siteAccess(scope: TenantScope, siteId: string): SiteAccess | null {
    const row = this.db
      .sql(`WITH ${VISIBLE_SITES} SELECT scope FROM visible WHERE site_id = @siteId`)
      .get({ ...scoped(scope), siteId }) as { scope: SiteAccess } | undefined;
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
    const rows = this.db
      .sql(`WITH ${VISIBLE_SITES} SELECT s.*, v.scope FROM sites s JOIN visible v USING (site_id) ORDER BY s.site_id`)
      .all(scoped(scope)) as SiteRow[];
    return rows.map((row) => this.#site(row));
  }

  site(scope: TenantScope, siteId: string): Site {
    const row = this.db
      .sql(
        `WITH ${VISIBLE_SITES} SELECT s.*, v.scope FROM sites s JOIN visible v USING (site_id) WHERE site_id = @siteId`,
      )
      .get({ ...scoped(scope), siteId }) as SiteRow | undefined;
    if (row === undefined) throw new StoreError('not_found', `no site ${siteId}`, 'siteId');
    return this.#site(row);
  }

  #site(row: SiteRow): Site {
    const companies = (
      this.db.sql('SELECT * FROM site_companies WHERE site_id = ? ORDER BY tier, company_id').all(row.site_id) as {
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
      language: row.language,
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
    change: { name?: string; rule?: WorkingDayRule; maxShiftHours?: number; language?: GateLanguage },
  ): TerminalId[] {
    this.requireSite(scope, siteId, 'prime');
    return this.db.transaction(() => {
      if (change.name !== undefined)
        this.db.sql('UPDATE sites SET name = ? WHERE site_id = ?').run(change.name, siteId);
      if (change.maxShiftHours !== undefined) {
        this.db.sql('UPDATE sites SET max_shift_hours = ? WHERE site_id = ?').run(change.maxShiftHours, siteId);
      }
      if (change.language !== undefined) {
        this.db.sql('UPDATE sites SET language = ? WHERE site_id = ?').run(change.language, siteId);
      }
      if (change.rule !== undefined) {
        this.db
          .sql('UPDATE sites SET time_zone = ?, day_boundary = ? WHERE site_id = ?')
          .run(change.rule.timeZone, change.rule.dayBoundary, siteId);
      }
      if (change.rule === undefined && change.maxShiftHours === undefined && change.language === undefined) return [];
      const terminals = this.terminalsAtSite(siteId);
      for (const terminalId of terminals) this.bumpConfig(terminalId);
      return terminals;
    });
  }

  /**
   * Places a company in the site's structure (施工体制) under a parent already in it (or the
   * prime). Its tenant, if it has one, then sees the site and its own workers there.
   */
  /**
   * Limits a user to some of the sites the tenant sees (null: every site). Applies at the
   * user's next request; a site the tenant does not see is refused by name.
   */
  limitUserToSites(scope: TenantScope, userId: string, sites: readonly string[] | null): void {
    const whole = { tenantId: scope.tenantId, companyId: scope.companyId };
    for (const siteId of sites ?? []) {
      if (this.siteAccess(whole, siteId) === null) throw new StoreError('not_found', `no site ${siteId}`, 'sites');
    }
    const result = this.db
      .sql('UPDATE users SET sites = ? WHERE user_id = ? AND tenant_id = ?')
      .run(sites === null ? null : JSON.stringify([...new Set(sites)].sort()), userId, scope.tenantId);
    if (result.changes === 0) throw new StoreError('not_found', `no user ${userId}`, 'userId');
  }

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
    this.db
      .sql(
        `INSERT INTO site_companies (site_id, company_id, name, tier, parent_company_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (site_id, company_id) DO UPDATE SET name = excluded.name, tier = excluded.tier,
           parent_company_id = excluded.parent_company_id`,
      )
      .run(siteId, company.companyId, company.name, company.tier, company.parentCompanyId);
  }

  removeSiteCompany(scope: TenantScope, siteId: string, companyId: string): void {
    this.requireSite(scope, siteId, 'prime');
    const below = this.db
      .sql('SELECT count(*) AS n FROM site_companies WHERE site_id = ? AND parent_company_id = ?')
      .get(siteId, companyId) as { n: number };
    if (below.n > 0) {
      throw new StoreError('conflict', `company ${companyId} still has ${below.n} companies under it`, 'companyId');
    }
    const result = this.db
      .sql('DELETE FROM site_companies WHERE site_id = ? AND company_id = ?')
      .run(siteId, companyId);
    if (result.changes === 0) throw new StoreError('not_found', `company ${companyId} is not on site ${siteId}`);
  }

  protected bumpRoster(siteId: string): void {
    this.db.sql('UPDATE sites SET roster_version = ? WHERE site_id = ?').run(this.db.nextVersion(), siteId);
  }
}
