import { CompanyIdSchema } from '@ccus-gate/protocol';
import { z } from 'zod';

/** A refusal as CCUS gives it: a code a program can act on and a sentence a person can. */
export interface Refusal {
  status: 403 | 404 | 409 | 422;
  code: string;
  message: string;
}

const TradesSchema = z.array(z.string().min(1).max(100)).max(4);

/** A worker's own CCUS registration (技能者登録); in CCUS the worker or their employer makes it. */
export const WorkerRegistrationSchema = z.strictObject({
  name: z.string().min(1).max(100),
  employerCompanyId: CompanyIdSchema,
  trades: TradesSchema,
});

/** A site and its structure (現場・契約情報, 施工体制) as the prime contractor registers them. */
export const SiteRegistrationSchema = z.strictObject({
  name: z.string().min(1).max(200),
  primeCompanyId: CompanyIdSchema,
  companies: z
    .array(
      z.strictObject({
        companyId: CompanyIdSchema,
        name: z.string().min(1).max(200),
        tier: z.int().min(1).max(9),
        parentCompanyId: CompanyIdSchema,
      }),
    )
    .max(2000)
    .default([]),
});

/** A worker's place on the site's roster (施工体制技能者), registered by the company that employs them. */
export const RosterRegistrationSchema = z.strictObject({
  companyId: CompanyIdSchema,
  trade: z.string().min(1).max(100).nullable().default(null),
  position: z.string().min(1).max(64).nullable().default(null),
  workContent: z.string().min(1).max(200).nullable().default(null),
});

export type WorkerRegistration = z.output<typeof WorkerRegistrationSchema>;
export type SiteRegistration = z.output<typeof SiteRegistrationSchema>;
export type RosterRegistration = z.output<typeof RosterRegistrationSchema>;

interface SiteCompanyEntry {
  name: string;
  tier: number;
  parentCompanyId: string;
}

/** One site as CCUS holds it. */
export interface RegisteredSite {
  name: string;
  primeCompanyId: string;
  companies: Map<string, SiteCompanyEntry>;
  roster: Map<string, RosterRegistration>;
}

/** A roster entry as CCUS answers it to a company importing the site's workers (施工体制技能者情報). */
export interface SiteWorkerEntry extends RosterRegistration {
  workerId: string;
  name: string;
  employerCompanyId: string;
  trades: string[];
}

/**
 * What the simulator knows besides work records: workers' registrations, sites with their
 * structure, and each site's roster, with CCUS's rules for who may register what (DOMAIN.md):
 * the prime registers the site and its structure; each company registers its own workers on a
 * site whose structure lists it, for a trade they are registered for.
 */
export class CcusRegister {
  readonly workers = new Map<string, WorkerRegistration>();
  readonly sites = new Map<string, RegisteredSite>();

  registerWorker(workerId: string, registration: WorkerRegistration): void {
    this.workers.set(workerId, registration);
  }

  registerSite(siteId: string, registration: SiteRegistration): Refusal | null {
    const existing = this.sites.get(siteId);
    if (existing !== undefined && existing.primeCompanyId !== registration.primeCompanyId) {
      return {
        status: 409,
        code: 'site_of_another_prime',
        message: `site ${siteId} is registered by company ${existing.primeCompanyId}`,
      };
    }
    const known = new Set([registration.primeCompanyId, ...registration.companies.map((c) => c.companyId)]);
    for (const company of registration.companies) {
      if (!known.has(company.parentCompanyId) || company.parentCompanyId === company.companyId) {
        return {
          status: 422,
          code: 'structure_broken',
          message: `company ${company.companyId} hangs under ${company.parentCompanyId}, which is not in the structure`,
        };
      }
    }
    const companies = new Map(registration.companies.map(({ companyId, ...entry }) => [companyId, entry]));
    this.sites.set(siteId, {
      name: registration.name,
      primeCompanyId: registration.primeCompanyId,
      companies,
      // Places of companies still in the structure stay; those of a company taken out go with it.
      roster: new Map(
        [...(existing?.roster ?? [])].filter(
          ([, place]) => place.companyId === registration.primeCompanyId || companies.has(place.companyId),
        ),
      ),
    });
    return null;
  }

  registerOnRoster(siteId: string, workerId: string, place: RosterRegistration): Refusal | null {
    const site = this.sites.get(siteId);
    if (site === undefined) {
      return { status: 404, code: 'unknown_site', message: `site ${siteId} is not registered in CCUS` };
    }
    if (place.companyId !== site.primeCompanyId && !site.companies.has(place.companyId)) {
      return {
        status: 422,
        code: 'company_not_in_structure',
        message: `company ${place.companyId} is not in the structure (施工体制) of site ${siteId}`,
      };
    }
    const worker = this.workers.get(workerId);
    if (worker === undefined) {
      return { status: 422, code: 'unknown_worker', message: `worker ${workerId} is not registered in CCUS` };
    }
    if (worker.employerCompanyId !== place.companyId) {
      return {
        status: 422,
        code: 'not_employer',
        message: `worker ${workerId} is employed by company ${worker.employerCompanyId}, not ${place.companyId}`,
      };
    }
    if (place.trade !== null && !worker.trades.includes(place.trade)) {
      return {
        status: 422,
        code: 'trade_not_registered',
        message: `worker ${workerId} is not registered for the trade ${place.trade}`,
      };
    }
    site.roster.set(workerId, place);
    return null;
  }

  /**
   * The site's workers as `companyId` may see them: the prime all, a subcontractor its own and
   * those of the companies beneath it.
   */
  siteWorkers(siteId: string, companyId: string): SiteWorkerEntry[] | Refusal {
    const site = this.sites.get(siteId);
    if (site === undefined) {
      return { status: 404, code: 'unknown_site', message: `site ${siteId} is not registered in CCUS` };
    }
    const visible = this.#companiesUnder(site, companyId);
    if (visible === null) {
      return {
        status: 403,
        code: 'company_not_in_structure',
        message: `company ${companyId} is not in the structure of site ${siteId}`,
      };
    }
    return [...site.roster]
      .filter(([, place]) => visible.has(place.companyId))
      .map(([workerId, place]) => {
        const worker = this.workers.get(workerId);
        return {
          workerId,
          name: worker?.name ?? '',
          employerCompanyId: worker?.employerCompanyId ?? place.companyId,
          trades: worker?.trades ?? [],
          ...place,
        };
      })
      .sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  onRoster(siteId: string, workerId: string): boolean {
    return this.sites.get(siteId)?.roster.has(workerId) ?? false;
  }

  tradesOf(workerId: string): readonly string[] {
    return this.workers.get(workerId)?.trades ?? [];
  }

  /** The company and every company beneath it in the structure; null when it is not there. */
  #companiesUnder(site: RegisteredSite, companyId: string): Set<string> | null {
    if (companyId === site.primeCompanyId) return new Set([companyId, ...site.companies.keys()]);
    if (!site.companies.has(companyId)) return null;
    const under = new Set([companyId]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [id, entry] of site.companies) {
        if (!under.has(id) && under.has(entry.parentCompanyId)) {
          under.add(id);
          grew = true;
        }
      }
    }
    return under;
  }
}
