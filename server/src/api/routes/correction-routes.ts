import type { AuditEntry } from '../../store/audit-log.js';
import type { Correction } from '../../store/correction-store.js';
import { body, created, define, ok, type Page, type QuarantinePage, type RouteKit, router } from '../route-kit.js';
import * as S from '../schemas.js';

/** Manual entries and corrections, the prime's approvals, the audit trail and quarantine. */
export function correctionRoutes(kit: RouteKit) {
  const { scopeOf, actorOf, pageJson, quarantinePage, effects } = kit;
  const { directory, corrections } = kit.store;
  return router()
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/corrections',
        tags: ['corrections'],
        request: { query: S.CorrectionQuery },
        responses: ok<Page<'corrections', Correction>>('corrections, newest first'),
      }),
      async (c) =>
        pageJson(c, 'corrections', (paging) =>
          corrections.corrections(scopeOf(c), { ...c.req.valid('query'), ...paging }),
        ),
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/approvals',
        tags: ['corrections'],
        request: { query: S.Paging },
        responses: ok<Page<'approvals', Correction>>(
          "subcontractors' entries waiting for this tenant's approval as prime",
        ),
      }),
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
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/corrections',
        tags: ['corrections'],
        request: body('a manual entry or correction', S.CorrectionBody),
        responses: created<{ correction: Correction }>("the correction; applied, or awaiting the prime's approval"),
      }),
      async (c) => {
        const input = c.req.valid('json');
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
        return c.json({ correction }, 201);
      },
    )
    .openapi(
      define('viewer', {
        method: 'get',
        path: '/api/v1/corrections/{id}',
        tags: ['corrections'],
        request: { params: S.IdParam },
        responses: ok<{ correction: Correction }>('the correction'),
      }),
      async (c) => c.json({ correction: await corrections.correction(scopeOf(c), c.req.valid('param').id) }, 200),
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/corrections/{id}/approve',
        tags: ['corrections'],
        request: { params: S.IdParam, ...body('why, if you like', S.DecisionBody) },
        responses: ok<{ correction: Correction }>('approved and applied'),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const input = c.req.valid('json');
        const correction = await corrections.approve(actorOf(c), id, input.reason ?? null);
        effects.recordsQueued();
        return c.json({ correction }, 200);
      },
    )
    .openapi(
      define('admin', {
        method: 'post',
        path: '/api/v1/corrections/{id}/reject',
        tags: ['corrections'],
        request: { params: S.IdParam, ...body('why', S.RejectionBody) },
        responses: ok<{ correction: Correction }>('rejected'),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const input = c.req.valid('json');
        return c.json({ correction: await corrections.reject(actorOf(c), id, input.reason) }, 200);
      },
    )
    .openapi(
      define('viewer:company', {
        method: 'get',
        path: '/api/v1/audit',
        tags: ['corrections'],
        request: { query: S.AuditQuery },
        responses: ok<Page<'audit', AuditEntry>>("the tenant's audit trail, newest first; by action, days and text"),
      }),
      async (c) =>
        pageJson(c, 'audit', (paging) => corrections.audit(scopeOf(c), { ...c.req.valid('query'), ...paging })),
    )
    .openapi(
      define('viewer:company', {
        method: 'get',
        path: '/api/v1/quarantine',
        tags: ['terminals'],
        request: { query: S.Paging },
        responses: ok<QuarantinePage>("messages from the tenant's terminals that were refused"),
      }),
      async (c) => quarantinePage(c, scopeOf(c)),
    );
}
