import { type ProvisioningBundle, ProvisioningBundleSchema, type SiteId, type TerminalId } from '@ccus-gate/protocol';
import type { z } from '@hono/zod-openapi';
import { StoreError } from '../../store/store-error.js';
import { json, type RouteKit } from '../route-kit.js';
import * as S from '../schemas.js';

/** The fleet operator's routes: tenants and their first tokens, the fleet's terminals, leases, provisioning bundles and all quarantine; never tenant data. */
export function operatorRoutes(kit: RouteKit): void {
  const {
    route,
    onBehalfOf,
    body,
    ok,
    created,
    valid,
    pageJson,
    slice,
    quarantinePage,
    addUser,
    effects,
    now,
    broker,
  } = kit;
  const { directory, corrections } = kit.store;

  route(
    'operator',
    {
      method: 'get',
      path: '/api/v1/tenants',
      tags: ['operator'],
      request: { query: S.ListPaging },
      responses: ok('all tenants'),
    },
    async (c) => pageJson(c, 'tenants', async (paging) => slice(await directory.tenants(), paging)),
  );

  route(
    'operator',
    {
      method: 'post',
      path: '/api/v1/tenants',
      tags: ['operator'],
      request: body('a contractor', S.TenantBody),
      responses: created('the tenant and its first admin token'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.TenantBody>>(c, 'json');
      const tenant = await directory.createTenant(input);
      const token = await directory.createApiToken(tenant.tenantId, 'admin', 'first admin');
      await corrections.note(
        onBehalfOf(c, tenant.tenantId),
        'create_tenant',
        `tenant ${tenant.tenantId}`,
        null,
        tenant,
      );
      return json(c, { tenant, adminToken: token }, 201);
    },
  );

  route(
    'operator',
    {
      method: 'post',
      path: '/api/v1/tenants/{tenantId}/tokens',
      tags: ['operator'],
      request: { params: S.TenantParam, ...body('role and label', S.TokenBody) },
      responses: created('the token, shown once'),
    },
    async (c) => {
      const { tenantId } = valid<{ tenantId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.TokenBody>>(c, 'json');
      await directory.tenantScope(tenantId);
      return json(c, { token: await directory.createApiToken(tenantId, input.role, input.label), ...input }, 201);
    },
  );

  route(
    'operator',
    {
      method: 'post',
      path: '/api/v1/tenants/{tenantId}/users',
      tags: ['operator'],
      request: { params: S.TenantParam, ...body('a person who signs in to the dashboard', S.UserBody) },
      responses: created('the user (never the password)'),
    },
    async (c) => {
      const { tenantId } = valid<{ tenantId: string }>(c, 'param');
      await directory.tenantScope(tenantId);
      return json(c, { user: await addUser(c, tenantId, valid<z.infer<typeof S.UserBody>>(c, 'json')) }, 201);
    },
  );

  route(
    'operator',
    {
      method: 'get',
      path: '/api/v1/tenants/{tenantId}/tokens',
      tags: ['operator'],
      request: { params: S.TenantParam, query: S.ListPaging },
      responses: ok("the tenant's tokens: id, role, label, created; never the secrets"),
    },
    async (c) => {
      const { tenantId } = valid<{ tenantId: string }>(c, 'param');
      await directory.tenantScope(tenantId);
      return pageJson(c, 'tokens', async (paging) => slice(await directory.tokens(tenantId), paging));
    },
  );

  route(
    'operator',
    {
      method: 'delete',
      path: '/api/v1/tenants/{tenantId}/tokens/{id}',
      tags: ['operator'],
      request: { params: S.TenantTokenParam },
      responses: ok('revoked; it stops working at once'),
    },
    async (c) => {
      const { tenantId, id } = valid<{ tenantId: string; id: string }>(c, 'param');
      await directory.revokeToken(tenantId, id);
      await corrections.note(onBehalfOf(c, tenantId), 'revoke_token', `token ${id}`, null, null);
      return json(c, { revoked: id });
    },
  );

  route(
    'operator',
    {
      method: 'get',
      path: '/api/v1/fleet/terminals',
      tags: ['operator'],
      request: { query: S.ListPaging },
      responses: ok('every terminal'),
    },
    async (c) => pageJson(c, 'terminals', async (paging) => slice(await directory.terminals(null), paging)),
  );

  route(
    'operator',
    {
      method: 'post',
      path: '/api/v1/fleet/terminals',
      tags: ['operator'],
      request: body('a new terminal', S.NewTerminalBody),
      responses: created('the terminal'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.NewTerminalBody>>(c, 'json');
      await directory.createTerminal({
        terminalId: input.terminalId as TerminalId,
        hardwareProfile: input.hardwareProfile,
      });
      effects.credentialsChanged();
      return json(c, { terminal: await directory.terminalView(null, input.terminalId) }, 201);
    },
  );

  route(
    'operator',
    {
      method: 'put',
      path: '/api/v1/fleet/terminals/{terminalId}/lease',
      tags: ['operator'],
      request: { params: S.TerminalParam, ...body('who leases it, for which site', S.LeaseBody) },
      responses: ok('the terminal, leased'),
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
      const input = valid<z.infer<typeof S.LeaseBody>>(c, 'json');
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
      return json(c, { terminal: await directory.terminalView(null, terminalId), previousTenantId });
    },
  );

  route(
    'operator',
    {
      method: 'delete',
      path: '/api/v1/fleet/terminals/{terminalId}/lease',
      tags: ['operator'],
      request: { params: S.TerminalParam },
      responses: ok('the terminal, unleased'),
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
      await directory.endLease(terminalId);
      effects.configChanged([terminalId]);
      return json(c, { terminal: await directory.terminalView(null, terminalId) });
    },
  );

  route(
    'operator',
    {
      method: 'post',
      path: '/api/v1/fleet/terminals/{terminalId}/provisioning',
      tags: ['operator'],
      request: { params: S.TerminalParam },
      responses: created('a provisioning bundle with fresh credentials; the old password stops working'),
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
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
      });
      return json(c, bundle, 201);
    },
  );

  route(
    'operator',
    {
      method: 'get',
      path: '/api/v1/fleet/quarantine',
      tags: ['operator'],
      request: { query: S.Paging },
      responses: ok('all quarantined messages'),
    },
    async (c) => quarantinePage(c, null),
  );

  route(
    'operator',
    {
      method: 'get',
      path: '/api/v1/fleet/metrics',
      tags: ['operator'],
      responses: {
        200: {
          description: 'Prometheus metrics (text exposition format); server/README.md, "Metrics"',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
    async (c) => {
      if (kit.metrics === undefined) return c.text('metrics are kept by the running server only', 503);
      return c.body(await kit.metrics.text(), 200, { 'content-type': kit.metrics.contentType });
    },
  );
}
