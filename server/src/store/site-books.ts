import {
  DEFAULT_MAX_SHIFT_HOURS,
  type GateLanguage,
  type SiteId,
  type TerminalId,
  type WorkingDayRule,
} from '@ccus-gate/protocol';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, mapRows, mustChange, refusing, rows, type Work } from './engine/work.js';
import { StoreError } from './store-error.js';
import { type TenantScope, visibleSites } from './tenant-scope.js';
import { UserBooks } from './user-books.js';
import { bumpRosterVersion, bumpTerminalConfig } from './version-counter.js';

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
  site_id: string | null;
  name: string;
  time_zone: string;
  day_boundary: string;
  max_shift_hours: number;
  language: string;
  prime_company_id: string | null;
  roster_version: number;
  scope: SiteAccess;
}

/**
 * Sites and their structure (施工体制: the prime and its subcontractors, tier by tier): who
 * sees a site, as prime or subcontractor, and the rule of its working day.
 */
export abstract class SiteBooks<E extends StoreEngine = StoreEngine> extends UserBooks<E> {
  // ---- sites --------------------------------------------------------------------------

  /** The tenant registers the site as its prime contractor. */
  createSite(site: {
    siteId: SiteId;
    tenantId: string;
    name: string;
    rule: WorkingDayRule;
    maxShiftHours?: number;
    language?: GateLanguage;
  }): Answer<E, void> {
    const db = this.db;
    return this.transaction(function* () {
      const tenant = yield* firstRow(
        db.selectFrom('tenants').select('company_id').where('tenant_id', '=', site.tenantId),
      );
      if (tenant === undefined) {
        throw new StoreError('invalid', `site ${site.siteId} refers to something that does not exist`, 'siteId');
      }
      yield* refusing(
        db.insertInto('sites').values({
          site_id: site.siteId,
          tenant_id: site.tenantId,
          name: site.name,
          time_zone: site.rule.timeZone,
          day_boundary: site.rule.dayBoundary,
          max_shift_hours: site.maxShiftHours ?? DEFAULT_MAX_SHIFT_HOURS,
          language: site.language ?? 'ja',
          prime_company_id: tenant.company_id,
        }),
        `site ${site.siteId}`,
        'siteId',
      );
    });
  }

  /** How the tenant sees the site, or null when it may not. */
  siteAccess(scope: TenantScope, siteId: string): Answer<E, SiteAccess | null> {
    return this.run(this.siteAccessWork(scope, siteId));
  }

  /** As siteAccess, a step of a larger work (corrections check it in their transaction). */
  *siteAccessWork(scope: TenantScope, siteId: string): Work<SiteAccess | null> {
    const row = yield* firstRow(
      this.db.with('visible', visibleSites(scope)).selectFrom('visible').select('scope').where('site_id', '=', siteId),
    );
    return row?.scope ?? null;
  }

  /** Throws not_found unless the tenant sees the site (as prime, when `prime` is asked). */
  requireSite(scope: TenantScope, siteId: string, need: 'any' | 'prime' = 'any'): Answer<E, SiteAccess> {
    return this.run(this.requireSiteWork(scope, siteId, need));
  }

  *requireSiteWork(scope: TenantScope, siteId: string, need: 'any' | 'prime' = 'any'): Work<SiteAccess> {
    const access = yield* this.siteAccessWork(scope, siteId);
    if (access === null) throw new StoreError('not_found', `no site ${siteId}`, 'siteId');
    if (need === 'prime' && access !== 'prime') {
      throw new StoreError('forbidden', `only the prime contractor of site ${siteId} may do this`, 'siteId');
    }
    return access;
  }

  sites(scope: TenantScope): Answer<E, Site[]> {
    return this.run(this.#sites(scope, null));
  }

  site(scope: TenantScope, siteId: string): Answer<E, Site> {
    return this.run(this.siteWork(scope, siteId));
  }

  protected *siteWork(scope: TenantScope, siteId: string): Work<Site> {
    const [site] = yield* this.#sites(scope, siteId);
    if (site === undefined) throw new StoreError('not_found', `no site ${siteId}`, 'siteId');
    return site;
  }

  /** The sites the scope sees (one, when `siteId` is given), each with its structure. */
  *#sites(scope: TenantScope, siteId: string | null): Work<Site[]> {
    let query = this.db
      .with('visible', visibleSites(scope))
      .selectFrom('sites as s')
      .innerJoin('visible as v', 'v.site_id', 's.site_id')
      .selectAll('s')
      .select('v.scope')
      .orderBy('s.site_id');
    if (siteId !== null) query = query.where('s.site_id', '=', siteId);
    const found = (yield* rows(query)) as SiteRow[];
    if (found.length === 0) return [];
    const companies = yield* rows(
      this.db
        .selectFrom('site_companies')
        .selectAll()
        .where(
          'site_id',
          'in',
          found.map((row) => row.site_id as string),
        )
        .orderBy('tier')
        .orderBy('company_id'),
    );
    return found.map((row) => ({
      siteId: row.site_id as string,
      name: row.name,
      timeZone: row.time_zone,
      dayBoundary: row.day_boundary,
      maxShiftHours: row.max_shift_hours,
      language: row.language as GateLanguage,
      primeCompanyId: row.prime_company_id as string,
      access: row.scope,
      rosterVersion: row.roster_version,
      companies: companies
        .filter((c) => c.site_id === row.site_id)
        .map((c) => ({ companyId: c.company_id, name: c.name, tier: c.tier, parentCompanyId: c.parent_company_id })),
    }));
  }

  /**
   * Changes the site's name, working-day rule or maximum shift; returns the terminals whose
   * config changes. Records already built keep their days until something queues them again.
   */
  updateSite(
    scope: TenantScope,
    siteId: string,
    change: { name?: string; rule?: WorkingDayRule; maxShiftHours?: number; language?: GateLanguage },
  ): Answer<E, TerminalId[]> {
    const self = this;
    return this.transaction(function* () {
      yield* self.requireSiteWork(scope, siteId, 'prime');
      const set = {
        ...(change.name === undefined ? {} : { name: change.name }),
        ...(change.maxShiftHours === undefined ? {} : { max_shift_hours: change.maxShiftHours }),
        ...(change.language === undefined ? {} : { language: change.language }),
        ...(change.rule === undefined
          ? {}
          : { time_zone: change.rule.timeZone, day_boundary: change.rule.dayBoundary }),
      };
      if (Object.keys(set).length > 0) {
        yield* execute(self.db.updateTable('sites').set(set).where('site_id', '=', siteId));
      }
      if (change.rule === undefined && change.maxShiftHours === undefined && change.language === undefined) return [];
      const terminals = yield* self.terminalsAtSiteWork(siteId);
      for (const terminalId of terminals) yield* bumpTerminalConfig(self.engine, terminalId);
      return terminals;
    });
  }

  /** The terminals leased at a site: told when its rule changes. */
  protected *terminalsAtSiteWork(siteId: string): Work<TerminalId[]> {
    return yield* mapRows(
      this.db.selectFrom('terminals').select('terminal_id').where('site_id', '=', siteId).orderBy('terminal_id'),
      (row) => row.terminal_id as TerminalId,
    );
  }

  /**
   * Limits a user to some of the sites the tenant sees (null: every site). Applies at the
   * user's next request; a site the tenant does not see is refused by name.
   */
  limitUserToSites(scope: TenantScope, userId: string, sites: readonly string[] | null): Answer<E, void> {
    const self = this;
    const whole = { tenantId: scope.tenantId, companyId: scope.companyId };
    return this.transaction(function* () {
      for (const siteId of sites ?? []) {
        if ((yield* self.siteAccessWork(whole, siteId)) === null) {
          throw new StoreError('not_found', `no site ${siteId}`, 'sites');
        }
      }
      yield* mustChange(
        self.db
          .updateTable('users')
          .set({ sites: sites === null ? null : JSON.stringify([...new Set(sites)].sort()) })
          .where('user_id', '=', userId)
          .where('tenant_id', '=', scope.tenantId),
        () => new StoreError('not_found', `no user ${userId}`, 'userId'),
      );
    });
  }

  /**
   * Places a company in the site's structure (施工体制) under a parent already in it (or the
   * prime). Its tenant, if it has one, then sees the site and its own workers there.
   */
  putSiteCompany(scope: TenantScope, siteId: string, company: SiteCompany): Answer<E, void> {
    const self = this;
    return this.transaction(function* () {
      yield* self.requireSiteWork(scope, siteId, 'prime');
      const site = yield* self.siteWork(scope, siteId);
      if (company.companyId === site.primeCompanyId) {
        throw new StoreError(
          'invalid',
          `company ${company.companyId} is the prime contractor of this site`,
          'companyId',
        );
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
      yield* execute(
        self.db
          .insertInto('site_companies')
          .values({
            site_id: siteId,
            company_id: company.companyId,
            name: company.name,
            tier: company.tier,
            parent_company_id: company.parentCompanyId,
          })
          .onConflict((conflict) =>
            conflict.columns(['site_id', 'company_id']).doUpdateSet((eb) => ({
              name: eb.ref('excluded.name'),
              tier: eb.ref('excluded.tier'),
              parent_company_id: eb.ref('excluded.parent_company_id'),
            })),
          ),
      );
    });
  }

  removeSiteCompany(scope: TenantScope, siteId: string, companyId: string): Answer<E, void> {
    const self = this;
    return this.transaction(function* () {
      yield* self.requireSiteWork(scope, siteId, 'prime');
      const below = yield* firstRow(
        self.db
          .selectFrom('site_companies')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('site_id', '=', siteId)
          .where('parent_company_id', '=', companyId),
      );
      const n = Number(below?.n ?? 0);
      if (n > 0) {
        throw new StoreError('conflict', `company ${companyId} still has ${n} companies under it`, 'companyId');
      }
      yield* mustChange(
        self.db.deleteFrom('site_companies').where('site_id', '=', siteId).where('company_id', '=', companyId),
        () => new StoreError('not_found', `company ${companyId} is not on site ${siteId}`),
      );
    });
  }

  protected *bumpRoster(siteId: string): Work<void> {
    yield* bumpRosterVersion(this.engine, siteId);
  }
}
