import type { z } from '@hono/zod-openapi';
import { encodeCsv, kentaikyoCalendar, recordsCsv } from '../../export/csv-export.js';
import type { Ctx, RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** Monthly CSV exports: the 建退共 calendar and the records. */
export function exportRoutes(kit: RouteKit): void {
  const { route, scopeOf, siteQuery } = kit;
  const { directory, queries } = kit.store;

  const csvResponse = (c: Ctx, name: string, text: string, encoding: 'utf-8' | 'shift_jis'): Response => {
    const bytes = encodeCsv(text, encoding);
    return c.body(bytes as unknown as ArrayBuffer, 200, {
      'content-type': `text/csv; charset=${encoding === 'utf-8' ? 'utf-8' : 'Shift_JIS'}`,
      'content-disposition': `attachment; filename="${name}"`,
    });
  };

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/exports/kentaikyo',
      tags: ['exports'],
      request: { query: S.ExportQuery },
      responses: {
        200: {
          description: '建退共 monthly calendar CSV: one row per worker, one column per day',
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
      },
    },
    async (c) => {
      const query = await siteQuery<z.infer<typeof S.ExportQuery>>(c);
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
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/exports/records',
      tags: ['exports'],
      request: { query: S.ExportQuery },
      responses: {
        200: {
          description: 'work records CSV, one row per record',
          content: { 'text/csv': { schema: { type: 'string' } } },
        },
      },
    },
    async (c) => {
      const query = await siteQuery<z.infer<typeof S.ExportQuery>>(c);
      const scope = scopeOf(c);
      const records = await queries.records(scope, {
        month: query.month,
        limit: 1_000_000,
        offset: 0,
        ...(query.siteId ? { siteId: query.siteId } : {}),
      });
      return csvResponse(c, `records-${query.month}.csv`, recordsCsv(records), query.encoding);
    },
  );
}
