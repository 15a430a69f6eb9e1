/**
 * What CCUS holds about a site besides work records, as a certified system reaches it: the
 * site's workers to import (施工体制技能者情報), and the site, its structure (施工体制) and roster
 * entries to register. Each call is made as a company (`asCompanyId`: in CCUS, the one whose
 * credentials are used): the prime registers the site, each company its own workers. Like
 * `CcusGateway`, an adapter throws `CcusError` (gateway.ts) when CCUS refuses or cannot be reached.
 */
export interface CcusSiteRegistry {
  /** The site's workers as the company may see them: the prime all, a subcontractor its own and those beneath it. */
  siteWorkers(siteId: string, asCompanyId: string): Promise<CcusSiteWorker[]>;
  /** Registers the site and its structure (the prime only), or changes them. */
  registerSite(siteId: string, site: CcusSiteRegistration, asCompanyId: string): Promise<void>;
  /** Registers the worker on the site's roster, or changes their place; by the company that employs them. */
  registerOnRoster(siteId: string, workerId: string, place: CcusRosterPlace, asCompanyId: string): Promise<void>;
}

export interface CcusSiteRegistration {
  name: string;
  primeCompanyId: string;
  companies: { companyId: string; name: string; tier: number; parentCompanyId: string }[];
}

export interface CcusRosterPlace {
  /** The employer registering the worker. */
  companyId: string;
  trade: string | null;
  position: string | null;
  workContent: string | null;
}

export interface CcusSiteWorker extends CcusRosterPlace {
  workerId: string;
  name: string;
  employerCompanyId: string;
  /** The trades the worker is registered for in CCUS (up to four). */
  trades: string[];
}
