import { type ProvisioningBundle, ProvisioningBundleSchema, type SiteId, type TerminalId } from '@ccus-gate/protocol';
import { z } from '@hono/zod-openapi';
import type { ApiTokenInfo, Tenant, TerminalView, User } from '../../store/directory-store.js';
import { StoreError } from '../../store/store-error.js';
import { problem } from '../problem.js';
import {
  body,
  created,
  define,
  type NewToken,
  ok,
  type Page,
  type QuarantinePage,
  type RouteKit,
  refusal,
  router,
} from '../route-kit.js';
import * as S from '../schemas.js';

/** The fleet operator's routes: tenants and their first tokens, the fleet's terminals, leases, provisioning bundles and all quarantine; never tenant data. */
export function operatorRoutes(kit: RouteKit) {
  const { onBehalfOf, pageJson, slice, quarantinePage, addUser, effects, now, broker } = kit;
  const { directory, corrections } = kit.store;
  return router()
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/tenants',
        tags: ['operator'],
        request: { query: S.ListPaging },
        responses: ok<Page<'tenants', Tenant>>('all tenants'),
      }),
      async (c) => pageJson(c, 'tenants', async (paging) => slice(await directory.tenants(), paging)),
    )
    .openapi(
      define('operator', {
        method: 'post',
        path: '/api/v1/tenants',
        tags: ['operator'],
        request: body('a contractor', S.TenantBody),
        responses: created<{ tenant: Tenant; adminToken: string }>('the tenant and its first admin token'),
      }),
      async (c) => {
        const input = c.req.valid('json');
        const tenant = await directory.createTenant(input);
        const token = await directory.createApiToken(tenant.tenantId, 'admin', 'first admin');
        await corrections.note(
          onBehalfOf(c, tenant.tenantId),
          'create_tenant',
          `tenant ${tenant.tenantId}`,
          null,
          tenant,
        );
        return c.json({ tenant, adminToken: token }, 201);
      },
    )
    .openapi(
      define('operator', {
        method: 'post',
        path: '/api/v1/tenants/{tenantId}/tokens',
        tags: ['operator'],
        request: { params: S.TenantParam, ...body('role and label', S.TokenBody) },
        responses: created<NewToken>('the token, shown once'),
      }),
      async (c) => {
        const { tenantId } = c.req.valid('param');
        const input = c.req.valid('json');
        await directory.tenantScope(tenantId);
        return c.json({ token: await directory.createApiToken(tenantId, input.role, input.label), ...input }, 201);
      },
    )
    .openapi(
      define('operator', {
        method: 'post',
        path: '/api/v1/tenants/{tenantId}/users',
        tags: ['operator'],
        request: { params: S.TenantParam, ...body('a person who signs in to the dashboard', S.UserBody) },
        responses: created<{ user: User }>('the user (never the password)'),
      }),
      async (c) => {
        const { tenantId } = c.req.valid('param');
        await directory.tenantScope(tenantId);
        return c.json({ user: await addUser(c, tenantId, c.req.valid('json')) }, 201);
      },
    )
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/tenants/{tenantId}/tokens',
        tags: ['operator'],
        request: { params: S.TenantParam, query: S.ListPaging },
        responses: ok<Page<'tokens', ApiTokenInfo>>("the tenant's tokens: id, role, label, created; never the secrets"),
      }),
      async (c) => {
        const { tenantId } = c.req.valid('param');
        await directory.tenantScope(tenantId);
        return pageJson(c, 'tokens', async (paging) => slice(await directory.tokens(tenantId), paging));
      },
    )
    .openapi(
      define('operator', {
        method: 'delete',
        path: '/api/v1/tenants/{tenantId}/tokens/{id}',
        tags: ['operator'],
        request: { params: S.TenantTokenParam },
        responses: ok<{ revoked: string }>('revoked; it stops working at once'),
      }),
      async (c) => {
        const { tenantId, id } = c.req.valid('param');
        await directory.revokeToken(tenantId, id);
        await corrections.note(onBehalfOf(c, tenantId), 'revoke_token', `token ${id}`, null, null);
        return c.json({ revoked: id }, 200);
      },
    )
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/fleet/terminals',
        tags: ['operator'],
        request: { query: S.ListPaging },
        responses: ok<Page<'terminals', TerminalView>>('every terminal'),
      }),
      async (c) => pageJson(c, 'terminals', async (paging) => slice(await directory.terminals(null), paging)),
    )
    .openapi(
      define('operator', {
        method: 'post',
        path: '/api/v1/fleet/terminals',
        tags: ['operator'],
        request: body('a new terminal', S.NewTerminalBody),
        responses: created<{ terminal: TerminalView }>('the terminal'),
      }),
      async (c) => {
        const input = c.req.valid('json');
        await directory.createTerminal({
          terminalId: input.terminalId as TerminalId,
          hardwareProfile: input.hardwareProfile,
        });
        effects.credentialsChanged();
        return c.json({ terminal: await directory.terminalView(null, input.terminalId) }, 201);
      },
    )
    .openapi(
      define('operator', {
        method: 'put',
        path: '/api/v1/fleet/terminals/{terminalId}/lease',
        tags: ['operator'],
        request: { params: S.TerminalParam, ...body('who leases it, for which site', S.LeaseBody) },
        responses: ok<{ terminal: TerminalView; previousTenantId: string | null }>('the terminal, leased'),
      }),
      async (c) => {
        const { terminalId } = c.req.valid('param');
        const input = c.req.valid('json');
        const lease = {
          tenantId: input.tenantId,
          siteId: input.siteId as SiteId,
          from: input.from === undefined ? now().toISOString() : new Date(input.from).toISOString(),
          until: input.until == null ? null : new Date(input.until).toISOString(),
        };
        const { previousTenantId } = await directory.lease(terminalId, lease);
        await corrections.note(onBehalfOf(c, lease.tenantId), 'lease_terminal', `terminal ${terminalId}`, null, lease);
        effects.configChanged([terminalId]);
        effects.rosterChanged([lease.siteId]);
        return c.json({ terminal: await directory.terminalView(null, terminalId), previousTenantId }, 200);
      },
    )
    .openapi(
      define('operator', {
        method: 'delete',
        path: '/api/v1/fleet/terminals/{terminalId}/lease',
        tags: ['operator'],
        request: { params: S.TerminalParam },
        responses: ok<{ terminal: TerminalView }>('the terminal, unleased'),
      }),
      async (c) => {
        const { terminalId } = c.req.valid('param');
        await directory.endLease(terminalId);
        effects.configChanged([terminalId]);
        return c.json({ terminal: await directory.terminalView(null, terminalId) }, 200);
      },
    )
    .openapi(
      define('operator', {
        method: 'post',
        path: '/api/v1/fleet/terminals/{terminalId}/provisioning',
        tags: ['operator'],
        request: { params: S.TerminalParam },
        responses: created<ProvisioningBundle>(
          'a provisioning bundle with fresh credentials; the old password stops working',
        ),
      }),
      async (c) => {
        const { terminalId } = c.req.valid('param');
        const terminal = await directory.terminalView(null, terminalId);
        const brokerUrl = broker?.url;
        if (brokerUrl === undefined) {
          throw new StoreError(
            'unavailable',
            'the server has no broker address for terminals; set broker.publicUrl',
            'broker',
          );
        }
        const password = await directory.rotateTerminalSecret(terminalId);
        effects.credentialsChanged();
        await corrections.note(onBehalfOf(c, null), 'provision_terminal', `terminal ${terminalId}`, null, {
          siteId: terminal.siteId,
        });
        const issuedAt = now().toISOString();
        const bundle: ProvisioningBundle = ProvisioningBundleSchema.parse({
          v: 1,
          kind: 'ccus-gate-provisioning',
          terminalId,
          password,
          broker: { url: brokerUrl, ...(broker?.caCert ? { caCert: broker.caCert } : {}) },
          siteId: terminal.siteId,
          hardwareProfile: terminal.hardwareProfile,
          issuedAt,
          // The key the terminal checks over-the-air releases with.
          ...(kit.updates === null ? {} : { releaseKey: kit.updates.publicKeyPem }),
        });
        return c.json(bundle, 201);
      },
    )
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/fleet/quarantine',
        tags: ['operator'],
        request: { query: S.Paging },
        responses: ok<QuarantinePage>('all quarantined messages'),
      }),
      async (c) => quarantinePage(c, null),
    )
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/fleet/metrics',
        tags: ['operator'],
        responses: {
          200: {
            description: 'Prometheus metrics (text exposition format); server/README.md, "Metrics"',
            content: { 'text/plain': { schema: z.string() } },
          },
          ...refusal(503, 'metrics are kept by the running server only'),
        },
      }),
      async (c) => {
        if (kit.metrics === undefined) {
          return problem(c, 503, 'Service Unavailable', 'metrics are kept by the running server only');
        }
        return c.text(await kit.metrics.text(), 200, { 'Content-Type': kit.metrics.contentType });
      },
    );
}
