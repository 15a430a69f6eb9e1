import { z } from '@hono/zod-openapi';
import { encodeCsv, UnencodableError } from '../../export/csv-export.js';
import { levelsCsv } from '../../export/levels-csv.js';
import { todayInJapan, type WorkerLevels, workerLevels } from '../../workers/worker-levels.js';
import { problem } from '../problem.js';
import { csvFile, define, ok, type Page, type RouteKit, refusal, router } from '../route-kit.js';
import * as S from '../schemas.js';

const LOWER_BOUND =
  "days recorded through this project only: CCUS also counts the worker's days recorded elsewhere, so each figure is a lower bound; levels also ask for qualifications not counted here";

const LevelsCsvQuery = z.object({
  encoding: z
    .enum(['utf-8', 'windows-31j', 'shift_jis'])
    .default('utf-8')
    .transform((encoding) => (encoding === 'shift_jis' ? 'windows-31j' : encoding)),
  headers: z.enum(['en', 'ja']).default('en'),
});

/** Level progress (能力評価): working days per worker and trade, the level they allow, and when the next comes. */
export function levelRoutes(kit: RouteKit) {
  const { scopeOf, now } = kit;
  const { directory } = kit.store;
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/levels',
        tags: ['workers'],
        request: { query: S.Paging },
        responses: ok<Page<'levels', WorkerLevels, { note: string }>>(
          `each worker's level progress, per trade (${LOWER_BOUND})`,
        ),
      }),
      async (c) => {
        const paging = c.req.valid('query');
        const scope = scopeOf(c);
        const workers = await directory.workers(scope, { limit: paging.limit + 1, offset: paging.offset });
        const page = workers.slice(0, paging.limit);
        const levels = await workerLevels(kit.store, scope, page, todayInJapan(now()));
        return c.json(
          {
            levels,
            note: LOWER_BOUND,
            nextOffset: workers.length > paging.limit ? paging.offset + paging.limit : null,
          },
          200,
        );
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/workers/{workerId}/levels',
        tags: ['workers'],
        request: { params: S.WorkerParam },
        responses: ok<WorkerLevels & { note: string }>(`the worker's level progress, per trade (${LOWER_BOUND})`),
      }),
      async (c) => {
        const { workerId } = c.req.valid('param');
        const scope = scopeOf(c);
        const worker = await directory.worker(scope, workerId);
        const [levels] = await workerLevels(kit.store, scope, [worker], todayInJapan(now()));
        return c.json({ ...(levels as WorkerLevels), note: LOWER_BOUND }, 200);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/exports/levels',
        tags: ['exports'],
        request: { query: LevelsCsvQuery },
        responses: {
          ...csvFile(`level progress CSV, a row per worker and trade (${LOWER_BOUND})`),
          ...refusal(422, 'characters the encoding cannot hold: `unencodable` names the workers and characters'),
        },
      }),
      async (c) => {
        const query = c.req.valid('query');
        const scope = scopeOf(c);
        const today = todayInJapan(now());
        const rows: WorkerLevels[] = [];
        for (let offset = 0; ; offset += 500) {
          const workers = await directory.workers(scope, { limit: 500, offset });
          rows.push(...(await workerLevels(kit.store, scope, workers, today)));
          if (workers.length < 500) break;
        }
        let bytes: Uint8Array;
        try {
          bytes = encodeCsv(levelsCsv(rows, query.headers), query.encoding as 'utf-8' | 'windows-31j');
        } catch (error) {
          if (!(error instanceof UnencodableError)) throw error;
          return problem(c, 422, 'Unprocessable Content', error.message, {
            field: 'encoding',
            unencodable: error.found,
          });
        }
        return c.body(bytes as unknown as ArrayBuffer, 200, {
          'content-type': `text/csv; charset=${query.encoding === 'utf-8' ? 'utf-8' : 'Windows-31J'}`,
          'content-disposition': `attachment; filename="levels-${today}.csv"`,
        });
      },
    );
}
