import type { RosterEntry, RosterLoad } from '../../store/directory-store.js';
import { body, define, ok, type Page, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

/** Site rosters (作業員名簿): read, one place at a time, or a whole roster at once. */
export function rosterRoutes(kit: RouteKit) {
  const { scopeOf, actorOf, pageJson, effects } = kit;
  const { directory, corrections } = kit.store;

  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/sites/{siteId}/roster',
        tags: ['rosters'],
        request: { params: S.SiteParam, query: S.ListPaging },
        responses: ok<Page<'roster', RosterEntry>>('the site roster (作業員名簿), by worker ID'),
      }),
      async (c) => pageJson(c, 'roster', (paging) => directory.roster(scopeOf(c), c.req.valid('param').siteId, paging)),
    )
    .openapi(
      define('admin', {
        method: 'put',
        path: '/api/v1/sites/{siteId}/roster',
        tags: ['rosters'],
        request: {
          params: S.SiteParam,
          ...body(
            'many places at once (up to 50,000; bodies up to http.maxBulkBodyKiB): all or nothing',
            S.RosterLoadBody,
          ),
        },
        responses: ok<{ load: RosterLoad }>('how many places were added, changed and removed'),
      }),
      async (c) => {
        const { siteId } = c.req.valid('param');
        const input = c.req.valid('json');
        const load = await directory.loadRoster(scopeOf(c), siteId, input.entries, {
          removeUnlisted: input.removeUnlisted,
        });
        await corrections.note(actorOf(c), 'load_roster', `site ${siteId}`, null, load);
        effects.rosterChanged([siteId]);
        effects.recordsQueued();
        return c.json({ load }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'put',
        path: '/api/v1/sites/{siteId}/roster/{workerId}',
        tags: ['rosters'],
        request: {
          params: S.RosterParam,
          ...body("the worker's position and work content on this site", S.RosterBody),
        },
        responses: ok<{ entry: RosterEntry }>("the worker's place on the roster, as stored"),
      }),
      async (c) => {
        const { siteId, workerId } = c.req.valid('param');
        const input = c.req.valid('json');
        const scope = scopeOf(c);
        await directory.addToRoster(
          siteId,
          workerId,
          {
            trade: input.trade ?? null,
            position: input.position ?? null,
            workContent: input.workContent ?? null,
            periodFrom: input.periodFrom ?? null,
            periodUntil: input.periodUntil ?? null,
          },
          scope,
        );
        await corrections.note(actorOf(c), 'add_to_roster', `site ${siteId}`, null, { workerId, ...input });
        effects.rosterChanged([siteId]);
        effects.recordsQueued();
        return c.json({ entry: await directory.rosterEntry(scope, siteId, workerId) }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'delete',
        path: '/api/v1/sites/{siteId}/roster/{workerId}',
        tags: ['rosters'],
        request: { params: S.RosterParam },
        responses: ok<{ removed: RosterEntry }>('the place the worker had, now removed'),
      }),
      async (c) => {
        const { siteId, workerId } = c.req.valid('param');
        const scope = scopeOf(c);
        const removed = await directory.rosterEntry(scope, siteId, workerId);
        await directory.removeFromRoster(scope, siteId, workerId);
        await corrections.note(actorOf(c), 'remove_from_roster', `site ${siteId}`, { workerId }, null);
        effects.rosterChanged([siteId]);
        effects.recordsQueued();
        return c.json({ removed }, 200);
      },
    );
}
