import { type CardRef, parseCardRef, type WorkerId } from '@ccus-gate/protocol';
import type { Worker } from '../../store/directory-store.js';
import type { UnknownCard } from '../../store/record-queries.js';
import { type ImportPlan, planWorkerImport } from '../../workers/worker-import.js';
import { problem } from '../problem.js';
import { accepted, body, created, define, ok, type Page, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

type ImportCounts = { create: number; update: number; unchanged: number };
/** A worker import: a bounded preview of what would change, or what changed. */
type WorkerImportAnswer =
  | ({ preview: ImportCounts; errorCount: number } & Pick<ImportPlan, 'create' | 'update' | 'errors'>)
  | { applied: ImportCounts };

/** The tenant's books of workers and the cards bound to them; cards no worker holds. */
export function workerRoutes(kit: RouteKit) {
  const { scopeOf, actorOf, pageJson, checkSite, effects } = kit;
  const { directory, queries, corrections } = kit.store;
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/workers',
        tags: ['workers'],
        request: { query: S.Paging },
        responses: ok<Page<'workers', Worker>>('workers the tenant registered or sees on its sites'),
      }),
      async (c) => pageJson(c, 'workers', (paging) => directory.workers(scopeOf(c), paging)),
    )
    .openapi(
      define('admin:company', {
        method: 'post',
        path: '/api/v1/workers',
        tags: ['workers'],
        request: body('a worker (技能者)', S.WorkerBody),
        responses: created<{ worker: Worker }>('the worker'),
      }),
      async (c) => {
        const input = c.req.valid('json');
        const scope = scopeOf(c);
        await directory.addWorker({
          workerId: input.workerId as WorkerId,
          tenantId: scope.tenantId,
          name: input.name,
          ...(input.employerCompanyId === undefined ? {} : { employerCompanyId: input.employerCompanyId }),
          ...(input.trades === undefined ? { trade: input.trade ?? null } : { trades: input.trades }),
          position: input.position ?? null,
        });
        await corrections.note(actorOf(c), 'add_worker', `worker ${input.workerId}`, null, {
          ...input,
          name: undefined,
        });
        return c.json({ worker: await directory.worker(scope, input.workerId) }, 201);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'post',
        path: '/api/v1/workers/import',
        tags: ['workers'],
        request: body(
          'many workers at once (a list from a spreadsheet): first a preview, then applied',
          S.WorkerImportBody,
        ),
        responses: ok<WorkerImportAnswer>(
          'what would change (apply: false) or what changed (apply: true), with each bad row named',
        ),
      }),
      async (c) => {
        const input = c.req.valid('json');
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
          return c.json(
            {
              preview: summary,
              create: plan.create.slice(0, 500),
              update: plan.update.slice(0, 500),
              errors: plan.errors.slice(0, 500),
              errorCount: plan.errors.length,
            },
            200,
          );
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
        await corrections.note(
          actorOf(c),
          'import_workers',
          `${summary.create + summary.update} workers`,
          null,
          summary,
        );
        return c.json({ applied: summary }, 200);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/workers/{workerId}',
        tags: ['workers'],
        request: { params: S.WorkerParam },
        responses: ok<{ worker: Worker }>('the worker and their cards'),
      }),
      async (c) => c.json({ worker: await directory.worker(scopeOf(c), c.req.valid('param').workerId) }, 200),
    )
    .openapi(
      define('admin:company', {
        method: 'patch',
        path: '/api/v1/workers/{workerId}',
        tags: ['workers'],
        request: { params: S.WorkerParam, ...body('what changes', S.WorkerPatch) },
        responses: ok<{ worker: Worker }>('the worker'),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        const input = c.req.valid('json');
        const scope = scopeOf(c);
        await directory.updateWorker(scope, workerId, input);
        await corrections.note(actorOf(c), 'update_worker', `worker ${workerId}`, null, input);
        return c.json({ worker: await directory.worker(scope, workerId) }, 200);
      },
    )
    .openapi(
      define('admin:company', {
        method: 'delete',
        path: '/api/v1/workers/{workerId}',
        tags: ['workers'],
        request: { params: S.WorkerParam },
        responses: ok<{ removed: string }>('removed; taps and records stay'),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        const scope = scopeOf(c);
        const sites = await directory.removeWorker(scope, workerId);
        await corrections.note(actorOf(c), 'remove_worker', `worker ${workerId}`, { workerId }, null);
        effects.rosterChanged(sites);
        return c.json({ removed: workerId }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/workers/{workerId}/cards',
        tags: ['workers'],
        request: {
          params: S.WorkerParam,
          ...body("a card to bind; its unresolved taps become the worker's", S.CardBody),
        },
        responses: created<{ card: CardRef; workerId: WorkerId; resolvedTaps: number; correction: number }>(
          'the binding, with how many taps it resolved',
        ),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        const input = c.req.valid('json');
        const card = parseCardRef(input.card, input.tech);
        const bound = await corrections.bindCard(actorOf(c), card, workerId, input.reason ?? 'card registered');
        effects.rosterChanged(bound.sites);
        if (bound.resolvedTaps > 0) effects.recordsQueued();
        return c.json({ card, workerId, resolvedTaps: bound.resolvedTaps, correction: bound.id }, 201);
      },
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/workers/{workerId}/enrol',
        tags: ['workers'],
        request: {
          params: S.WorkerParam,
          ...body('the terminal whose next unknown tap binds its card to the worker', S.EnrolBody),
        },
        responses: accepted<{ terminalId: string; workerId: WorkerId; expiresAt: string }>(
          'waiting for the tap; the binding is an audited correction, as by hand',
        ),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        const input = c.req.valid('json');
        const enrolment = await kit.store.enrolments.request(
          actorOf(c),
          input.terminalId,
          workerId,
          input.seconds * 1000,
        );
        return c.json(
          { terminalId: enrolment.terminalId, workerId: enrolment.workerId, expiresAt: enrolment.expiresAt },
          202,
        );
      },
    )
    .openapi(
      define('admin:company', {
        method: 'delete',
        path: '/api/v1/cards/{tech}/{id}',
        tags: ['workers'],
        request: { params: S.CardParam },
        responses: ok<{ removed: CardRef }>('the card is no longer bound'),
      }),
      async (c) => {
        const params = c.req.valid('param');
        const card = parseCardRef(params.id, params.tech);
        const scope = scopeOf(c);
        const sites = await directory.removeCard(scope, card);
        await corrections.note(actorOf(c), 'remove_card', `card ${card.tech}:${card.id}`, card, null);
        effects.rosterChanged(sites);
        return c.json({ removed: card }, 200);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/unknown-cards',
        tags: ['workers'],
        request: { query: S.SiteQuery },
        responses: ok<Page<'unknownCards', UnknownCard>>('cards tapped that no worker holds'),
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        return pageJson(c, 'unknownCards', (paging) => queries.unknownCards(scopeOf(c), { ...query, ...paging }));
      },
    );
}
