import { ccusToday } from '@ccus-gate/protocol';
import type { z } from '@hono/zod-openapi';
import { alertsOf } from '../../alerts/tenant-alerts.js';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** Taps, work records (就業履歴) and their way to CCUS. */
export function recordRoutes(kit: RouteKit): void {
  const { route, scopeOf, actorOf, ok, valid, pageJson, siteQuery, effects, now } = kit;
  const { queries, corrections } = kit.store;

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/taps',
      tags: ['records'],
      request: { query: S.TapQuery },
      responses: ok('taps, newest first'),
    },
    async (c) => {
      const query = await siteQuery<z.infer<typeof S.TapQuery>>(c);
      return pageJson(c, 'taps', (paging) => queries.taps(scopeOf(c), { ...query, ...paging }));
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/records',
      tags: ['records'],
      request: { query: S.RecordQuery },
      responses: ok('work records (就業履歴) with their CCUS state'),
    },
    async (c) =>
      pageJson(c, 'records', async (paging) =>
        queries.records(scopeOf(c), { ...(await siteQuery<z.infer<typeof S.RecordQuery>>(c)), ...paging }),
      ),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/alerts',
      tags: ['records'],
      responses: ok('what needs a person now, worst first: terminals, records, deadlines, unknown cards'),
    },
    async (c) => json(c, { alerts: await alertsOf(kit.store, scopeOf(c), now()) }),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/records/at-risk',
      tags: ['records'],
      request: { query: S.AtRiskQuery },
      responses: ok('records not yet accepted whose deadline is near or past, soonest first'),
    },
    async (c) => {
      const query = await siteQuery<z.infer<typeof S.AtRiskQuery>>(c);
      return json(c, {
        today: ccusToday(now()),
        records: await queries.atRisk(scopeOf(c), { ...query, today: ccusToday(now()) }),
      });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/records/{siteId}/{workerId}/{workingDay}',
      tags: ['records'],
      request: { params: S.RecordParam },
      responses: ok('one record'),
    },
    async (c) =>
      json(c, { record: await queries.record(scopeOf(c), valid<z.infer<typeof S.RecordParam>>(c, 'param')) }),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/records/{siteId}/{workerId}/{workingDay}/taps',
      tags: ['records'],
      request: { params: S.RecordParam },
      responses: ok("the record's taps, from every terminal, voided and replaced ones too (counted: false)"),
    },
    async (c) =>
      json(c, {
        taps: await queries.recordTaps(
          scopeOf(c),
          valid<{ siteId: string; workerId: string; workingDay: string }>(c, 'param'),
        ),
      }),
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/records/{siteId}/{workerId}/{workingDay}/retry',
      tags: ['records'],
      request: { params: S.RecordParam },
      responses: ok('the record, back in the CCUS outbox'),
    },
    async (c) => {
      const key = valid<z.infer<typeof S.RecordParam>>(c, 'param');
      const record = await queries.retry(scopeOf(c), key);
      await corrections.note(
        actorOf(c),
        'retry_record',
        `record ${key.siteId}/${key.workerId}/${key.workingDay}`,
        null,
        null,
      );
      effects.recordsQueued();
      return json(c, { record });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/outbox',
      tags: ['records'],
      request: { query: S.RecordQuery },
      responses: ok('the CCUS outbox: records by state'),
    },
    async (c) => {
      const query = await siteQuery<z.infer<typeof S.RecordQuery>>(c);
      return pageJson(c, 'records', async (paging) =>
        (await queries.records(scopeOf(c), { ...query, ...paging })).map((r) => (r.ccus === null ? null : r)),
      );
    },
  );
}
