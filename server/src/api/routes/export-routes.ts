import {
  type CsvEncoding,
  type CsvTable,
  encodeCsv,
  kentaikyoCalendar,
  recordsCsv,
  UnencodableError,
} from '../../export/csv-export.js';
import { problem } from '../problem.js';
import { type Ctx, csvFile, define, type RouteKit, refusal, router } from '../route-kit.js';
import * as S from '../schemas.js';

/** Monthly CSV exports: the 建退共 calendar and the records. */
export function exportRoutes(kit: RouteKit) {
  const { scopeOf, checkSite } = kit;
  const { directory, queries } = kit.store;

  /** The file, or 422 naming whose lines hold characters the encoding cannot (never a silent `?`). */
  const csvResponse = (c: Ctx, name: string, table: CsvTable, encoding: CsvEncoding) => {
    let bytes: Uint8Array;
    try {
      bytes = encodeCsv(table, encoding);
    } catch (error) {
      if (!(error instanceof UnencodableError)) throw error;
      return problem(c, 422, 'Unprocessable Content', error.message, { field: 'encoding', unencodable: error.found });
    }
    return c.body(bytes as unknown as ArrayBuffer, 200, {
      'content-type': `text/csv; charset=${encoding === 'utf-8' ? 'utf-8' : 'Windows-31J'}`,
      'content-disposition': `attachment; filename="${name}"`,
    });
  };
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/exports/kentaikyo',
        tags: ['exports'],
        request: { query: S.ExportQuery },
        responses: {
          ...csvFile("建退共 monthly calendar CSV: one row per worker, one column per day (this project's layout)"),
          ...refusal(422, 'characters the encoding cannot hold: `unencodable` names the workers and characters'),
        },
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        const scope = scopeOf(c);
        const companyId = query.companyId ?? scope.companyId;
        const records = await queries.records(scope, {
          month: query.month,
          limit: 1_000_000,
          offset: 0,
          ...(query.siteId ? { siteId: query.siteId } : {}),
        });
        const workers = new Map<string, Awaited<ReturnType<typeof directory.worker>> | null>();
        for (const workerId of new Set(records.map((r) => r.workerId))) {
          workers.set(workerId, await Promise.resolve(directory.worker(scope, workerId)).catch(() => null));
        }
        const text = kentaikyoCalendar(query.month, companyId, records, (workerId) => workers.get(workerId) ?? null);
        return csvResponse(c, `kentaikyo-${companyId}-${query.month}.csv`, text, query.encoding);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/exports/records',
        tags: ['exports'],
        request: { query: S.ExportQuery },
        responses: {
          ...csvFile("work records CSV, one row per record, times in the site's time zone"),
          ...refusal(422, 'characters the encoding cannot hold: `unencodable` names the workers and characters'),
        },
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        const scope = scopeOf(c);
        const records = await queries.records(scope, {
          month: query.month,
          limit: 1_000_000,
          offset: 0,
          ...(query.siteId ? { siteId: query.siteId } : {}),
        });
        const sites = new Map((await directory.sites(scope)).map((site) => [site.siteId, site.timeZone]));
        const names = new Map<string, string | null>();
        for (const workerId of new Set(records.map((r) => r.workerId))) {
          names.set(
            workerId,
            await Promise.resolve(directory.worker(scope, workerId)).then(
              (w) => w.name,
              () => null,
            ),
          );
        }
        const table = recordsCsv(records, {
          nameOf: (workerId) => names.get(workerId) ?? null,
          zoneOf: (siteId) => sites.get(siteId) ?? 'Asia/Tokyo',
          headers: query.headers,
        });
        return csvResponse(c, `records-${query.month}.csv`, table, query.encoding);
      },
    );
}
