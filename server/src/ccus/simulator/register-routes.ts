import { CompanyIdSchema, SiteIdSchema, WorkerIdSchema } from '@ccus-gate/protocol';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import {
  type CcusRegister,
  type Refusal,
  RosterRegistrationSchema,
  SiteRegistrationSchema,
  WorkerRegistrationSchema,
} from './ccus-register.js';

const invalid = (c: Context, what: string, issue: z.core.$ZodIssue | undefined): Response =>
  c.json({ code: 'invalid_request', message: `${what}${issue?.path.join('.') ?? ''}: ${issue?.message}` }, 400);

const refused = (c: Context, refusal: Refusal): Response =>
  c.json({ code: refusal.code, message: refusal.message }, refusal.status);

/** The header naming the calling company, where real CCUS would know it from the credentials. */
export const COMPANY_HEADER = 'x-ccus-company';

/** The calling company: real CCUS knows it from the credentials; here a header says it. */
function callerOf(c: Context): string | Response {
  const caller = CompanyIdSchema.safeParse(c.req.header(COMPANY_HEADER));
  if (caller.success) return caller.data;
  return c.json({ code: 'no_company', message: `send the calling company's ID in ${COMPANY_HEADER}` }, 401);
}

async function bodyOf<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S> | Response> {
  const parsed = schema.safeParse(await c.req.json().catch(() => null));
  return parsed.success ? parsed.data : invalid(c, 'body ', parsed.error.issues[0]);
}

/**
 * The registration side of the simulated CCUS, as a certified system reaches it:
 * - `PUT /workers/{workerId}`: a worker's own registration (in CCUS the worker or their
 *   employer makes it; tests and the demo stand in for them);
 * - `PUT /sites/{siteId}`: the prime registers the site and its structure (施工体制);
 * - `PUT /sites/{siteId}/workers/{workerId}`: the employer registers a worker on the roster;
 * - `GET /sites/{siteId}/workers`: the site's workers (施工体制技能者情報) as the caller may see them.
 * Real CCUS knows the calling company from its credentials; here the `x-ccus-company` header
 * says it, and the rules hold for it: only the prime registers its site, only a worker's
 * employer registers them on a roster.
 */
export function registerRoutes(register: CcusRegister): Hono {
  return new Hono()
    .put('/workers/:workerId', async (c) => {
      const workerId = WorkerIdSchema.safeParse(c.req.param('workerId'));
      if (!workerId.success) return invalid(c, 'workerId', workerId.error.issues[0]);
      const body = await bodyOf(c, WorkerRegistrationSchema);
      if (body instanceof Response) return body;
      register.registerWorker(workerId.data, body);
      return c.json({ workerId: workerId.data, ...body });
    })
    .put('/sites/:siteId', async (c) => {
      const siteId = SiteIdSchema.safeParse(c.req.param('siteId'));
      if (!siteId.success) return invalid(c, 'siteId', siteId.error.issues[0]);
      const caller = callerOf(c);
      if (caller instanceof Response) return caller;
      const body = await bodyOf(c, SiteRegistrationSchema);
      if (body instanceof Response) return body;
      if (body.primeCompanyId !== caller) {
        return c.json(
          { code: 'not_prime', message: `company ${caller} is not the prime of this site registration` },
          403,
        );
      }
      const refusal = register.registerSite(siteId.data, body);
      if (refusal !== null) return refused(c, refusal);
      return c.json({ siteId: siteId.data, companies: body.companies.length });
    })
    .get('/sites/:siteId', (c) => {
      const site = register.sites.get(c.req.param('siteId'));
      if (site === undefined) return c.json({ code: 'unknown_site', message: 'no such site in CCUS' }, 404);
      return c.json({
        siteId: c.req.param('siteId'),
        name: site.name,
        primeCompanyId: site.primeCompanyId,
        companies: [...site.companies].map(([companyId, entry]) => ({ companyId, ...entry })),
        workers: site.roster.size,
      });
    })
    .get('/sites/:siteId/workers', (c) => {
      const caller = callerOf(c);
      if (caller instanceof Response) return caller;
      const workers = register.siteWorkers(c.req.param('siteId'), caller);
      if (!Array.isArray(workers)) return refused(c, workers);
      return c.json({ siteId: c.req.param('siteId'), workers });
    })
    .put('/sites/:siteId/workers/:workerId', async (c) => {
      const workerId = WorkerIdSchema.safeParse(c.req.param('workerId'));
      if (!workerId.success) return invalid(c, 'workerId', workerId.error.issues[0]);
      const caller = callerOf(c);
      if (caller instanceof Response) return caller;
      const body = await bodyOf(c, RosterRegistrationSchema);
      if (body instanceof Response) return body;
      if (body.companyId !== caller) {
        return c.json(
          {
            code: 'not_own_worker',
            message: `company ${caller} registers only its own workers, not company ${body.companyId}'s`,
          },
          403,
        );
      }
      const refusal = register.registerOnRoster(c.req.param('siteId'), workerId.data, body);
      if (refusal !== null) return refused(c, refusal);
      return c.json({ siteId: c.req.param('siteId'), workerId: workerId.data, ...body });
    });
}
