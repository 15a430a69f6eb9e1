import type { SiteId, WorkerId } from '@ccus-gate/protocol';
import type { z } from '@hono/zod-openapi';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** Site rosters (作業員名簿): read, one place at a time, or a whole roster at once. */
export function rosterRoutes(kit: RouteKit): void {
  const { route, scopeOf, actorOf, body, ok, valid, pageJson, effects } = kit;
  const { directory, corrections } = kit.store;

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/sites/{siteId}/roster',
      tags: ['rosters'],
      request: { params: S.SiteParam, query: S.ListPaging },
      responses: ok('the site roster (作業員名簿), by worker ID'),
    },
    async (c) =>
      pageJson(c, 'roster', (paging) =>
        directory.roster(scopeOf(c), valid<{ siteId: string }>(c, 'param').siteId, paging),
      ),
  );

  route(
    'admin',
    {
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
      responses: ok('how many places were added, changed and removed'),
    },
    async (c) => {
      const { siteId } = valid<{ siteId: SiteId }>(c, 'param');
      const input = valid<z.infer<typeof S.RosterLoadBody>>(c, 'json');
      const load = await directory.loadRoster(
        scopeOf(c),
        siteId,
        input.entries.map((entry) => ({ ...entry, workerId: entry.workerId as WorkerId })),
        { removeUnlisted: input.removeUnlisted },
      );
      await corrections.note(actorOf(c), 'load_roster', `site ${siteId}`, null, load);
      effects.rosterChanged([siteId]);
      effects.recordsQueued();
      return json(c, { load });
    },
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/sites/{siteId}/roster/{workerId}',
      tags: ['rosters'],
      request: { params: S.RosterParam, ...body("the worker's position and work content on this site", S.RosterBody) },
      responses: ok("the worker's place on the roster, as stored"),
    },
    async (c) => {
      const { siteId, workerId } = valid<{ siteId: SiteId; workerId: WorkerId }>(c, 'param');
      const input = valid<z.infer<typeof S.RosterBody>>(c, 'json');
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
      return json(c, { entry: await directory.rosterEntry(scope, siteId, workerId) });
    },
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/sites/{siteId}/roster/{workerId}',
      tags: ['rosters'],
      request: { params: S.RosterParam },
      responses: ok('the place the worker had, now removed'),
    },
    async (c) => {
      const { siteId, workerId } = valid<{ siteId: SiteId; workerId: WorkerId }>(c, 'param');
      const scope = scopeOf(c);
      const removed = await directory.rosterEntry(scope, siteId, workerId);
      await directory.removeFromRoster(scope, siteId, workerId);
      await corrections.note(actorOf(c), 'remove_from_roster', `site ${siteId}`, { workerId }, null);
      effects.rosterChanged([siteId]);
      effects.recordsQueued();
      return json(c, { removed });
    },
  );
}
