import { parseCardRef, type WorkerId } from '@ccus-gate/protocol';
import type { z } from '@hono/zod-openapi';
import { planWorkerImport } from '../../workers/worker-import.js';
import { problem } from '../problem.js';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** The tenant's books of workers and the cards bound to them; cards no worker holds. */
export function workerRoutes(kit: RouteKit): void {
  const { route, scopeOf, actorOf, body, ok, created, valid, pageJson, siteQuery, effects } = kit;
  const { directory, queries, corrections } = kit.store;

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/workers',
      tags: ['workers'],
      request: { query: S.Paging },
      responses: ok('workers the tenant registered or sees on its sites'),
    },
    async (c) => pageJson(c, 'workers', (paging) => directory.workers(scopeOf(c), paging)),
  );

  route(
    'admin:company',
    {
      method: 'post',
      path: '/api/v1/workers',
      tags: ['workers'],
      request: body('a worker (技能者)', S.WorkerBody),
      responses: created('the worker'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.WorkerBody>>(c, 'json');
      const scope = scopeOf(c);
      await directory.addWorker({
        workerId: input.workerId as WorkerId,
        tenantId: scope.tenantId,
        name: input.name,
        ...(input.employerCompanyId === undefined ? {} : { employerCompanyId: input.employerCompanyId }),
        ...(input.trades === undefined ? { trade: input.trade ?? null } : { trades: input.trades }),
        position: input.position ?? null,
      });
      await corrections.note(actorOf(c), 'add_worker', `worker ${input.workerId}`, null, { ...input, name: undefined });
      return json(c, { worker: await directory.worker(scope, input.workerId) }, 201);
    },
  );

  route(
    'admin:company',
    {
      method: 'post',
      path: '/api/v1/workers/import',
      tags: ['workers'],
      request: body(
        'many workers at once (a list from a spreadsheet): first a preview, then applied',
        S.WorkerImportBody,
      ),
      responses: ok('what would change (apply: false) or what changed (apply: true), with each bad row named'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.WorkerImportBody>>(c, 'json');
      const scope = scopeOf(c);
      const ids = input.workers.flatMap((row) => {
        const id = (row as { workerId?: unknown } | null)?.workerId;
        return typeof id === 'string' ? [id.trim()] : [];
      });
      const existing = new Map((await directory.ownWorkers(scope, ids)).map((worker) => [worker.workerId, worker]));
      const plan = planWorkerImport(input.workers, existing);
      const summary = { create: plan.create.length, update: plan.update.length, unchanged: plan.unchanged };
      if (!input.apply) {
        // A preview is bounded like any page: the first rows of each kind, all counted.
        return json(c, {
          preview: summary,
          create: plan.create.slice(0, 500),
          update: plan.update.slice(0, 500),
          errors: plan.errors.slice(0, 500),
          errorCount: plan.errors.length,
        });
      }
      if (plan.errors.length > 0) {
        const first = plan.errors[0] as { row: number; field: string; message: string };
        return problem(
          c,
          400,
          'Bad Request',
          `${plan.errors.length} row(s) have problems, nothing was written; row ${first.row}: ${first.field} ${first.message}`,
          { field: 'workers', errors: plan.errors.slice(0, 500) },
        );
      }
      await directory.importWorkers(scope, {
        create: plan.create.map((row) => ({ ...row, workerId: row.workerId as WorkerId })),
        update: plan.update.map(({ before: _, ...row }) => row),
      });
      await corrections.note(actorOf(c), 'import_workers', `${summary.create + summary.update} workers`, null, summary);
      return json(c, { applied: summary });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/workers/{workerId}',
      tags: ['workers'],
      request: { params: S.WorkerParam },
      responses: ok('the worker and their cards'),
    },
    async (c) =>
      json(c, { worker: await directory.worker(scopeOf(c), valid<{ workerId: string }>(c, 'param').workerId) }),
  );

  route(
    'admin:company',
    {
      method: 'patch',
      path: '/api/v1/workers/{workerId}',
      tags: ['workers'],
      request: { params: S.WorkerParam, ...body('what changes', S.WorkerPatch) },
      responses: ok('the worker'),
    },
    async (c) => {
      const { workerId } = valid<{ workerId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.WorkerPatch>>(c, 'json');
      const scope = scopeOf(c);
      await directory.updateWorker(scope, workerId, input);
      await corrections.note(actorOf(c), 'update_worker', `worker ${workerId}`, null, input);
      return json(c, { worker: await directory.worker(scope, workerId) });
    },
  );

  route(
    'admin:company',
    {
      method: 'delete',
      path: '/api/v1/workers/{workerId}',
      tags: ['workers'],
      request: { params: S.WorkerParam },
      responses: ok('removed; taps and records stay'),
    },
    async (c) => {
      const { workerId } = valid<{ workerId: string }>(c, 'param');
      const scope = scopeOf(c);
      const sites = await directory.removeWorker(scope, workerId);
      await corrections.note(actorOf(c), 'remove_worker', `worker ${workerId}`, { workerId }, null);
      effects.rosterChanged(sites);
      return json(c, { removed: workerId });
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/workers/{workerId}/cards',
      tags: ['workers'],
      request: {
        params: S.WorkerParam,
        ...body("a card to bind; its unresolved taps become the worker's", S.CardBody),
      },
      responses: created('the binding, with how many taps it resolved'),
    },
    async (c) => {
      const { workerId } = valid<{ workerId: WorkerId }>(c, 'param');
      const input = valid<z.infer<typeof S.CardBody>>(c, 'json');
      const card = parseCardRef(input.card, input.tech);
      const bound = await corrections.bindCard(actorOf(c), card, workerId, input.reason ?? 'card registered');
      effects.rosterChanged(bound.sites);
      if (bound.resolvedTaps > 0) effects.recordsQueued();
      return json(c, { card, workerId, resolvedTaps: bound.resolvedTaps, correction: bound.id }, 201);
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/workers/{workerId}/enrol',
      tags: ['workers'],
      request: {
        params: S.WorkerParam,
        ...body('the terminal whose next unknown tap binds its card to the worker', S.EnrolBody),
      },
      responses: {
        202: {
          description: 'waiting for the tap; the binding is an audited correction, as by hand',
          content: { 'application/json': { schema: S.AnyObject } },
        },
      },
    },
    async (c) => {
      const { workerId } = valid<{ workerId: WorkerId }>(c, 'param');
      const input = valid<z.infer<typeof S.EnrolBody>>(c, 'json');
      const enrolment = await kit.store.enrolments.request(
        actorOf(c),
        input.terminalId,
        workerId,
        input.seconds * 1000,
      );
      return json(
        c,
        { terminalId: enrolment.terminalId, workerId: enrolment.workerId, expiresAt: enrolment.expiresAt },
        202,
      );
    },
  );

  route(
    'admin:company',
    {
      method: 'delete',
      path: '/api/v1/cards/{tech}/{id}',
      tags: ['workers'],
      request: { params: S.CardParam },
      responses: ok('the card is no longer bound'),
    },
    async (c) => {
      const params = valid<{ tech: 'felica' | 'mifare'; id: string }>(c, 'param');
      const card = parseCardRef(params.id, params.tech);
      const scope = scopeOf(c);
      const sites = await directory.removeCard(scope, card);
      await corrections.note(actorOf(c), 'remove_card', `card ${card.tech}:${card.id}`, card, null);
      effects.rosterChanged(sites);
      return json(c, { removed: card });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/unknown-cards',
      tags: ['workers'],
      request: { query: S.SiteQuery },
      responses: ok('cards tapped that no worker holds'),
    },
    async (c) => {
      const query = await siteQuery<{ siteId?: string }>(c);
      return pageJson(c, 'unknownCards', (paging) => queries.unknownCards(scopeOf(c), { ...query, ...paging }));
    },
  );
}
