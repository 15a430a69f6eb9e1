import { ccusToday } from '@ccus-gate/protocol';
import { type Alert, alertsOf } from '../../alerts/tenant-alerts.js';
import type { StoredTap, WorkRecord } from '../../store/record-queries.js';
import { define, ok, type Page, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

/** Taps, work records (就業履歴) and their way to CCUS. */
export function recordRoutes(kit: RouteKit) {
  const { scopeOf, actorOf, pageJson, checkSite, effects, now } = kit;
  const { queries, corrections } = kit.store;
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/taps',
        tags: ['records'],
        request: { query: S.TapQuery },
        responses: ok<Page<'taps', StoredTap>>('taps, newest first'),
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        return pageJson(c, 'taps', (paging) => queries.taps(scopeOf(c), { ...query, ...paging }));
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/records',
        tags: ['records'],
        request: { query: S.RecordQuery },
        responses: ok<Page<'records', WorkRecord>>('work records (就業履歴) with their CCUS state'),
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        return pageJson(c, 'records', (paging) => queries.records(scopeOf(c), { ...query, ...paging }));
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/alerts',
        tags: ['records'],
        responses: ok<{ alerts: Alert[] }>(
          'what needs a person now, worst first: terminals, records, deadlines, unknown cards',
        ),
      }),
      async (c) => c.json({ alerts: await alertsOf(kit.store, scopeOf(c), now()) }, 200),
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/records/at-risk',
        tags: ['records'],
        request: { query: S.AtRiskQuery },
        responses: ok<{ today: string; records: WorkRecord[] }>(
          'records not yet accepted whose deadline is near or past, soonest first',
        ),
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        return c.json(
          {
            today: ccusToday(now()),
            records: await queries.atRisk(scopeOf(c), { ...query, today: ccusToday(now()) }),
          },
          200,
        );
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/records/{siteId}/{workerId}/{workingDay}',
        tags: ['records'],
        request: { params: S.RecordParam },
        responses: ok<{ record: WorkRecord }>('one record'),
      }),
      async (c) => c.json({ record: await queries.record(scopeOf(c), c.req.valid('param')) }, 200),
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/records/{siteId}/{workerId}/{workingDay}/taps',
        tags: ['records'],
        request: { params: S.RecordParam },
        responses: ok<{ taps: StoredTap[] }>(
          "the record's taps, from every terminal, voided and replaced ones too (counted: false)",
        ),
      }),
      async (c) =>
        c.json(
          {
            taps: await queries.recordTaps(scopeOf(c), c.req.valid('param')),
          },
          200,
        ),
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/records/{siteId}/{workerId}/{workingDay}/retry',
        tags: ['records'],
        request: { params: S.RecordParam },
        responses: ok<{ record: WorkRecord }>('the record, back in the CCUS outbox'),
      }),
      async (c) => {
        const key = c.req.valid('param');
        const record = await queries.retry(scopeOf(c), key);
        await corrections.note(
          actorOf(c),
          'retry_record',
          `record ${key.siteId}/${key.workerId}/${key.workingDay}`,
          null,
          null,
        );
        effects.recordsQueued();
        return c.json({ record }, 200);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/outbox',
        tags: ['records'],
        request: { query: S.RecordQuery },
        responses: ok<Page<'records', WorkRecord>>('the CCUS outbox: records by state'),
      }),
      async (c) => {
        const query = c.req.valid('query');
        await checkSite(c, query.siteId);
        return pageJson(c, 'records', async (paging) =>
          (await queries.records(scopeOf(c), { ...query, ...paging })).map((r) => (r.ccus === null ? null : r)),
        );
      },
    );
}
