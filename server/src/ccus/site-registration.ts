import type { Site } from '../store/directory-store.js';
import type { ServerStores } from '../store/server-stores.js';
import type { TenantScope } from '../store/tenant-scope.js';
import { CcusError, isCcusError } from './gateway.js';
import type { CcusSiteRegistry } from './site-registry.js';

export interface SiteRegistrationResult {
  /** registered: the site and its structure were sent (the prime); prime_registers: a subcontractor does not. */
  site: 'registered' | 'prime_registers';
  /** Workers CCUS now has on the site's roster. */
  registered: string[];
  /** Workers CCUS refused, each with its code and reason. */
  refused: { workerId: string; code: string; message: string }[];
  /** Workers of other companies on the roster: in CCUS each company registers its own. */
  leftToEmployers: { workerId: string; employerCompanyId: string }[];
  /** Records refused as not on CCUS's roster, sent again now that their worker is. */
  resent: number;
}

/** Records refused for this reason are the ones a registration fixes. */
const NOT_ON_ROSTER = 'not_on_roster';

/**
 * Sends a site to CCUS as the caller holds it: the site and its structure (施工体制) when the
 * caller is its prime, then the caller's own employees' places on the roster (or only the
 * workers named); other companies' workers are left to them, as CCUS wants. Records CCUS
 * refused because a worker was not on its roster are sent again once the worker is. A worker
 * CCUS refuses does not stop the others; CCUS out of reach does (CcusError, transient), after
 * what was already registered.
 */
export async function registerSiteOnCcus(
  store: Pick<ServerStores, 'directory' | 'queries'>,
  registry: CcusSiteRegistry,
  scope: TenantScope,
  /** The site as the caller sees it (`directory.site`), read once by the caller. */
  site: Site,
  workerIds?: readonly string[],
): Promise<SiteRegistrationResult> {
  const { siteId } = site;
  let roster = await store.directory.roster(scope, siteId);
  if (workerIds !== undefined) {
    const wanted = new Set(workerIds);
    roster = roster.filter((entry) => wanted.delete(entry.workerId));
    const [missing] = wanted;
    if (missing !== undefined) {
      throw new CcusError('permanent', 'not_on_our_roster', `worker ${missing} is not on this site's roster here`);
    }
  }
  const result: SiteRegistrationResult = {
    site: 'prime_registers',
    registered: [],
    refused: [],
    leftToEmployers: [],
    resent: 0,
  };
  if (site.access === 'prime') {
    await registry.registerSite(
      siteId,
      { name: site.name, primeCompanyId: site.primeCompanyId, companies: site.companies },
      scope.companyId,
    );
    result.site = 'registered';
  }
  for (const entry of roster) {
    if (entry.employerCompanyId !== scope.companyId) {
      result.leftToEmployers.push({ workerId: entry.workerId, employerCompanyId: entry.employerCompanyId });
      continue;
    }
    try {
      await registry.registerOnRoster(
        siteId,
        entry.workerId,
        {
          companyId: entry.employerCompanyId,
          trade: entry.trade,
          position: entry.position,
          workContent: entry.workContent,
        },
        scope.companyId,
      );
      result.registered.push(entry.workerId);
    } catch (error) {
      if (!isCcusError(error) || error.kind === 'transient') throw error;
      result.refused.push({ workerId: entry.workerId, code: error.code, message: error.message });
    }
  }
  for (const workerId of result.registered) {
    const refused = await store.queries.records(scope, { siteId, workerId, state: 'refused', limit: 1000, offset: 0 });
    for (const record of refused) {
      if (!record.ccus?.lastError?.startsWith(NOT_ON_ROSTER)) continue;
      await store.queries.retry(scope, record);
      result.resent++;
    }
  }
  return result;
}
