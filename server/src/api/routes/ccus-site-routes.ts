import { planRosterImport, type RosterImportPlan, rosterImportWrites } from '../../ccus/roster-import.js';
import { registerSiteOnCcus, type SiteRegistrationResult } from '../../ccus/site-registration.js';
import type { CcusSiteRegistry } from '../../ccus/site-registry.js';
import type { RosterLoad, Site } from '../../store/directory-store.js';
import type { TenantScope } from '../../store/tenant-scope.js';
import { problem } from '../problem.js';
import { body, type Ctx, define, ok, type RouteKit, refusal, router } from '../route-kit.js';
import * as S from '../schemas.js';

/**
 * A site on CCUS's side: its workers imported into our roster (施工体制技能者情報), shown
 * before anything changes; the site, its structure and its roster registered there, which
 * is what a `not_on_roster` refusal needs. CCUS's own errors come back as problems with
 * CCUS's `code` (api/http-api.ts).
 */
export function ccusSiteRoutes(kit: RouteKit, registry: CcusSiteRegistry | null) {
  const { scopeOf, actorOf, effects } = kit;
  const { directory, corrections } = kit.store;

  const unavailable = (c: Ctx) =>
    problem(
      c,
      409,
      'Conflict',
      'this server sends work records to CCUS as files (ccus.mode: file); import and register on the CCUS site itself',
      { code: 'ccus_registry_unavailable' },
    );

  async function plan(scope: TenantScope, site: Site, from: CcusSiteRegistry) {
    const ccus = await from.siteWorkers(site.siteId, scope.companyId);
    const roster = await directory.roster(scope, site.siteId);
    const own = await directory.ownWorkers(
      scope,
      ccus.map((worker) => worker.workerId),
    );
    return {
      roster,
      plan: planRosterImport({
        ccus,
        roster,
        own: new Map(own.map((worker) => [worker.workerId, worker])),
        access: site.access,
        companyId: scope.companyId,
      }),
    };
  }
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/sites/{siteId}/ccus/roster',
        tags: ['ccus'],
        request: { params: S.SiteParam },
        responses: {
          ...ok<{ preview: RosterImportPlan }>(
            "what importing CCUS's roster of the site would change here (add, change, unchanged, skipped, onlyHere), and the digest that confirms it",
          ),
          ...refusal(409, 'this server sends work records to CCUS as files: there is no CCUS registry to ask'),
        },
      }),
      async (c) => {
        const { siteId } = c.req.valid('param');
        // The site first: another tenant's or an unknown site is not found, whatever the adapter.
        const site = await directory.site(scopeOf(c), siteId);
        if (registry === null) return unavailable(c);
        return c.json({ preview: (await plan(scopeOf(c), site, registry)).plan }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/sites/{siteId}/ccus/roster/import',
        tags: ['ccus'],
        request: {
          params: S.SiteParam,
          ...body('the preview being confirmed, by its digest', S.CcusRosterImportBody),
        },
        responses: {
          ...ok<{ applied: { added: number; changed: number; unchanged: number }; load: RosterLoad }>(
            'what was added and changed',
          ),
          ...refusal(
            409,
            'CCUS or our roster changed since the preview (code preview_outdated), or there is no CCUS registry',
          ),
        },
      }),
      async (c) => {
        const { siteId } = c.req.valid('param');
        const site = await directory.site(scopeOf(c), siteId);
        if (registry === null) return unavailable(c);
        const { digest } = c.req.valid('json');
        const scope = scopeOf(c);
        const now = await plan(scope, site, registry);
        if (now.plan.digest !== digest) {
          return problem(
            c,
            409,
            'Conflict',
            "CCUS's roster or ours changed since the preview; nothing was written: look at the preview again",
            { field: 'digest', code: 'preview_outdated' },
          );
        }
        const load = await directory.importRoster(scope, siteId, rosterImportWrites(now.plan, now.roster));
        const applied = { added: now.plan.add.length, changed: now.plan.change.length, unchanged: now.plan.unchanged };
        await corrections.note(actorOf(c), 'import_ccus_roster', `site ${siteId}`, null, applied);
        effects.rosterChanged([siteId]);
        effects.recordsQueued();
        return c.json({ applied, load }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/sites/{siteId}/ccus/registration',
        tags: ['ccus'],
        request: {
          params: S.SiteParam,
          ...body('the workers to register (absent: the whole roster the caller sees)', S.CcusRegistrationBody),
        },
        responses: {
          ...ok<{ registration: SiteRegistrationResult }>(
            'the site (sent by the prime), the workers CCUS registered and refused, and the not_on_roster records sent again',
          ),
          ...refusal(409, 'this server sends work records to CCUS as files: there is no CCUS registry to ask'),
        },
      }),
      async (c) => {
        const { siteId } = c.req.valid('param');
        const site = await directory.site(scopeOf(c), siteId);
        if (registry === null) return unavailable(c);
        const input = c.req.valid('json');
        const result = await registerSiteOnCcus(kit.store, registry, scopeOf(c), site, input.workerIds);
        await corrections.note(actorOf(c), 'register_on_ccus', `site ${siteId}`, null, {
          site: result.site,
          registered: result.registered.length,
          refused: result.refused.length,
          resent: result.resent,
        });
        if (result.resent > 0) effects.recordsQueued();
        return c.json({ registration: result }, 200);
      },
    );
}
