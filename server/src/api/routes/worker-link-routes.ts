import { z } from '@hono/zod-openapi';
import type { WorkerLink } from '../../self-view/worker-link-store.js';
import { body, created, define, ok, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

const LinkBody = z
  .strictObject({
    days: z.int().min(1).max(400).default(90).openapi({ description: 'how long the link works, in days' }),
  })
  .openapi('NewWorkerLink');

/**
 * Personal links to the worker self-view (self-view/): an admin issues one for a worker on
 * the tenant's books, sees when each was used, and revokes one a worker lost.
 */
export function workerLinkRoutes(kit: RouteKit) {
  const { scopeOf, actorOf } = kit;
  const { workerLinks, corrections } = kit.store;
  return router()
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/workers/{workerId}/links',
        tags: ['workers'],
        request: { params: S.WorkerParam, ...body('how long the link works', LinkBody) },
        responses: created<{ link: WorkerLink; path: string }>(
          'the link, with its path: shown once, give it to the worker (a QR code on the dashboard)',
        ),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        const input = c.req.valid('json');
        const { link, token } = await workerLinks.issue(actorOf(c), workerId, input.days);
        await corrections.note(actorOf(c), 'issue_worker_link', `worker ${workerId}`, null, {
          id: link.id,
          expiresAt: link.expiresAt,
        });
        return c.json({ link, path: `/w/${token}` }, 201);
      },
    )
    .openapi(
      define('admin', {
        method: 'get',
        path: '/api/v1/workers/{workerId}/links',
        tags: ['workers'],
        request: { params: S.WorkerParam },
        responses: ok<{ links: WorkerLink[] }>("the worker's links, newest first, without their tokens"),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        return c.json({ links: await workerLinks.links(scopeOf(c), workerId) }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'delete',
        path: '/api/v1/worker-links/{id}',
        tags: ['workers'],
        request: { params: S.IdParam },
        responses: ok<{ link: WorkerLink }>('the link, revoked: it opens nothing from now on'),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const link = await workerLinks.revoke(scopeOf(c), id);
        await corrections.note(actorOf(c), 'revoke_worker_link', `worker ${link.workerId}`, null, { id });
        return c.json({ link }, 200);
      },
    );
}
