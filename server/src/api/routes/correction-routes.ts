import type { z } from '@hono/zod-openapi';
import type { Correction } from '../../store/correction-store.js';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** Manual entries and corrections, the prime's approvals, the audit trail and quarantine. */
export function correctionRoutes(kit: RouteKit): void {
  const { route, scopeOf, actorOf, body, ok, created, valid, pageJson, quarantinePage, effects } = kit;
  const { directory, corrections } = kit.store;

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/corrections',
      tags: ['corrections'],
      request: { query: S.CorrectionQuery },
      responses: ok('corrections, newest first'),
    },
    async (c) =>
      pageJson(c, 'corrections', (paging) =>
        corrections.corrections(scopeOf(c), { ...valid<z.infer<typeof S.CorrectionQuery>>(c, 'query'), ...paging }),
      ),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/approvals',
      tags: ['corrections'],
      request: { query: S.Paging },
      responses: ok("subcontractors' entries waiting for this tenant's approval as prime"),
    },
    async (c) =>
      pageJson(c, 'approvals', async (paging) => {
        const scope = scopeOf(c);
        const awaiting = await corrections.corrections(scope, { ...paging, state: 'awaiting_approval' });
        return Promise.all(
          awaiting.map(async (correction) =>
            (await directory.siteAccess(scope, correction.siteId)) === 'prime' ? correction : null,
          ),
        );
      }),
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/corrections',
      tags: ['corrections'],
      request: body('a manual entry or correction', S.CorrectionBody),
      responses: created("the correction; applied, or awaiting the prime's approval"),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.CorrectionBody>>(c, 'json');
      const actor = actorOf(c);
      let correction: Correction;
      if (input.kind === 'void_tap') {
        correction = await corrections.voidTap(actor, input);
      } else if (input.kind === 'set_tap_time') {
        correction = await corrections.setTapTime(actor, input);
      } else if (input.kind === 'set_trade') {
        correction = await corrections.setTrade(actor, input);
      } else {
        const key = { siteId: input.siteId, workerId: input.workerId, workingDay: input.workingDay };
        // As the person gave them, offset included: the site's local time reads best later.
        const times = {
          ...key,
          firstIn: 'firstIn' in input ? input.firstIn : null,
          lastOut: 'lastOut' in input ? input.lastOut : null,
          reason: input.reason,
        };
        correction =
          input.kind === 'confirm_clock'
            ? await corrections.confirmClock(actor, { ...key, reason: input.reason })
            : input.kind === 'add_day'
              ? await corrections.addDay(actor, times)
              : await corrections.setTimes(actor, times);
      }
      if (correction.state === 'applied') effects.recordsQueued();
      return json(c, { correction }, 201);
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/corrections/{id}',
      tags: ['corrections'],
      request: { params: S.IdParam },
      responses: ok('the correction'),
    },
    async (c) =>
      json(c, { correction: await corrections.correction(scopeOf(c), valid<{ id: number }>(c, 'param').id) }),
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/corrections/{id}/approve',
      tags: ['corrections'],
      request: { params: S.IdParam, ...body('why, if you like', S.DecisionBody) },
      responses: ok('approved and applied'),
    },
    async (c) => {
      const { id } = valid<{ id: number }>(c, 'param');
      const input = valid<z.infer<typeof S.DecisionBody>>(c, 'json');
      const correction = await corrections.approve(actorOf(c), id, input.reason ?? null);
      effects.recordsQueued();
      return json(c, { correction });
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/corrections/{id}/reject',
      tags: ['corrections'],
      request: { params: S.IdParam, ...body('why', S.RejectionBody) },
      responses: ok('rejected'),
    },
    async (c) => {
      const { id } = valid<{ id: number }>(c, 'param');
      const input = valid<z.infer<typeof S.RejectionBody>>(c, 'json');
      return json(c, { correction: await corrections.reject(actorOf(c), id, input.reason) });
    },
  );

  route(
    'viewer:company',
    {
      method: 'get',
      path: '/api/v1/audit',
      tags: ['corrections'],
      request: { query: S.AuditQuery },
      responses: ok("the tenant's audit trail, newest first; by action, days and text"),
    },
    async (c) =>
      pageJson(c, 'audit', (paging) =>
        corrections.audit(scopeOf(c), { ...valid<z.infer<typeof S.AuditQuery>>(c, 'query'), ...paging }),
      ),
  );

  route(
    'viewer:company',
    {
      method: 'get',
      path: '/api/v1/quarantine',
      tags: ['terminals'],
      request: { query: S.Paging },
      responses: ok("messages from the tenant's terminals that were refused"),
    },
    async (c) => quarantinePage(c, scopeOf(c)),
  );
}
