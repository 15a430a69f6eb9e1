import {
  type CommandName,
  ccusToday,
  isProtocolError,
  type ProvisioningBundle,
  ProvisioningBundleSchema,
  parseCardRef,
  type SiteId,
  type TerminalId,
  type WorkerId,
} from '@ccus-gate/protocol';
import { createRoute, OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { hashPassword } from '../credentials.js';
import { encodeCsv, kentaikyoCalendar, recordsCsv } from '../export/csv-export.js';
import { type BodyLimits, limitBodies } from '../http/body-limit.js';
import { type AddressOf, clientAddressOf } from '../http/client-address.js';
import { SignInLimiter } from '../http/sign-in-limiter.js';
import type { Correction } from '../store/correction-store.js';
import type { Role } from '../store/directory-store.js';
import type { ServerRepository } from '../store/repository.js';
import { isStoreError, StoreError, type StoreErrorCode } from '../store/store-error.js';
import type { TenantScope } from '../store/tenant-scope.js';
import { problem } from './problem.js';
import * as S from './schemas.js';

/** What the API sets in motion beyond the store: terminals told of changes, records rebuilt. */
export interface ApiEffects {
  rosterChanged(siteIds: readonly string[]): void;
  configChanged(terminalIds: readonly TerminalId[]): void;
  recordsQueued(): void;
  /** A terminal's credentials were created or replaced: an external broker must learn them. */
  credentialsChanged(): void;
  /** Publishes a command to the terminal and returns its id. */
  sendCommand(terminalId: TerminalId, command: CommandName): string;
}

export interface HttpApiOptions {
  effects?: Partial<ApiEffects>;
  /** Where terminals reach the broker, written into provisioning bundles. */
  broker?: { url: string; caCert?: string };
  now?: () => Date;
  bodyLimits?: BodyLimits;
  /** Shared with the dashboard: one budget of failed sign-ins. */
  limiter?: SignInLimiter;
  /** The client's address (trusted proxies applied); the socket's peer by default. */
  addressOf?: AddressOf;
  log?: Logger;
}

/** Who makes an API call: a token's owner, or a dashboard user passed in-process. */
export interface Caller {
  role: Role;
  label: string;
  /** null for the operator. */
  scope: TenantScope | null;
}

type Env = { Variables: { caller: Caller } };
type Ctx = Context<Env>;
type Need = 'viewer' | 'admin' | 'operator' | 'public';

const STATUS_OF: Record<StoreErrorCode, ContentfulStatusCode> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  forbidden: 403,
  unavailable: 503,
};
const TITLE_OF: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The first validation issue as one sentence that names the field. */
function describeIssues(target: string, issues: readonly z.core.$ZodIssue[]): { detail: string; field: string } {
  const first = issues[0];
  const field = first === undefined ? target : first.path.map(String).join('.') || target;
  let message = first?.message ?? 'is invalid';
  if (first?.code === 'unrecognized_keys') message = `has unknown fields: ${first.keys.join(', ')}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return { detail: `${target} ${field}: ${message}${more}`, field };
}

/** The most a list page's items take, in bytes of JSON. */
const PAGE_BYTES = 1024 * 1024;

const json = (c: Ctx, body: unknown, status: ContentfulStatusCode = 200): Response =>
  c.body(JSON.stringify(body), status, { 'content-type': 'application/json; charset=utf-8' });

/**
 * The tenant-scoped HTTP API. Every route declares the role it needs; every tenant query
 * goes through the caller's scope, so one tenant never reads or changes another's data.
 */
export function createHttpApi(store: ServerRepository, options: HttpApiOptions = {}): OpenAPIHono<Env> {
  const now = options.now ?? (() => new Date());
  const limiter = options.limiter ?? new SignInLimiter();
  const addressOf = options.addressOf ?? clientAddressOf();
  const effects: ApiEffects = {
    rosterChanged: () => {},
    configChanged: () => {},
    recordsQueued: () => {},
    credentialsChanged: () => {},
    sendCommand: () => {
      throw new HTTPException(503, { message: 'terminal commands need the broker connection' });
    },
    ...options.effects,
  };
  const { directory, queries, corrections, quarantineLog } = store;

  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const { detail, field } = describeIssues(result.target, result.error.issues);
      return problem(c, 400, 'Bad Request', detail, { field });
    },
  });
  app.use('*', limitBodies(options.bodyLimits));
  app.use('*', secureHeaders());
  app.get('/healthz', (c) => c.json({ ok: true }));

  app.use('/api/v1/*', async (c, next) => {
    // The dashboard calls the API in-process for its signed-in user; the network cannot set c.env.
    const signedIn = (c.env as { caller?: Caller } | undefined)?.caller;
    if (signedIn !== undefined) {
      c.set('caller', signedIn);
      return next();
    }
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (match === null) {
      return problem(c, 401, 'Unauthorized', 'send an API token as "Authorization: Bearer <token>"');
    }
    // A right token is never refused for others' failures: it is checked first.
    const owner = await directory.tokenOwner(match[1] as string);
    if (owner === null) {
      const attempt = { address: addressOf(c) };
      const wait = limiter.blockedFor(attempt);
      if (wait > 0) {
        c.header('retry-after', String(Math.ceil(wait / 1000)));
        return problem(c, 429, 'Too Many Requests', 'too many failed sign-ins from this address; try again later');
      }
      limiter.fail(attempt);
      return problem(c, 401, 'Unauthorized', 'the API token is not valid');
    }
    c.set('caller', {
      role: owner.role,
      label: owner.label,
      scope: owner.tenantId === null ? null : { tenantId: owner.tenantId, companyId: owner.companyId as string },
    });
    await next();
  });

  /** Declares a route with its role, validation and OpenAPI entry. */
  function route<R extends RouteConfig>(
    need: Need,
    config: R,
    handler: (c: Ctx & { req: { valid: (target: string) => never } }) => Response | Promise<Response>,
  ): void {
    const responses = {
      ...config.responses,
      400: {
        description: 'the request is invalid; `field` names what',
        content: { 'application/problem+json': { schema: S.Problem } },
      },
      ...(need === 'public'
        ? {}
        : { 401: { description: 'no valid token' }, 403: { description: 'the role may not do this' } }),
    };
    const guarded = (c: Ctx): Response | Promise<Response> => {
      if (need !== 'public') {
        const caller = c.get('caller');
        const allowed =
          need === 'operator'
            ? caller.role === 'operator'
            : caller.role !== 'operator' && (need === 'viewer' || caller.role === 'admin');
        if (!allowed) {
          return problem(c, 403, 'Forbidden', `this needs the ${need} role; the token has ${caller.role}`);
        }
      }
      return handler(c as never);
    };
    app.openapi(
      createRoute({ ...config, ...(need === 'public' ? {} : { security: [{ bearer: [] }] }), responses }),
      guarded as never,
    );
  }

  const scopeOf = (c: Ctx): TenantScope => c.get('caller').scope as TenantScope;
  const actorOf = (c: Ctx) => ({ ...scopeOf(c), name: c.get('caller').label });
  /** The operator acting on a tenant's behalf (or on no tenant's), for that tenant's audit trail. */
  const onBehalfOf = (c: Ctx, tenantId: string | null) => ({ tenantId, name: c.get('caller').label });
  const body = (description: string, schema: z.ZodType) => ({
    body: { content: { 'application/json': { schema } }, required: true, description },
  });
  const ok = (description: string) => ({
    200: { description, content: { 'application/json': { schema: S.AnyObject } } },
  });
  const created = (description: string) => ({
    201: { description, content: { 'application/json': { schema: S.AnyObject } } },
  });
  const valid = <T>(c: unknown, target: 'json' | 'query' | 'param'): T =>
    (c as { req: { valid: (t: string) => T } }).req.valid(target);

  /**
   * A list page as JSON, bounded in bytes as well as rows: it stops before the item that
   * would take it past PAGE_BYTES (never before the first), and `nextOffset` says where the
   * next page starts (null on the last).
   */
  const pageJson = async <T>(
    c: Ctx,
    key: string,
    /** One row per stored row; null for a row the caller does not get (filtered), so offsets stay the store's. */
    load: (paging: { limit: number; offset: number }) => (T | null)[] | Promise<(T | null)[]>,
    extra: Record<string, unknown> = {},
  ): Promise<Response> => {
    const { limit, offset } = valid<{ limit: number; offset: number }>(c, 'query');
    const rows = await load({ limit, offset });
    const parts: string[] = [];
    let bytes = 0;
    let consumed = 0;
    for (const row of rows) {
      if (row !== null) {
        const text = JSON.stringify(row);
        if (parts.length > 0 && bytes + text.length > PAGE_BYTES) break;
        parts.push(text);
        bytes += text.length + 1;
      }
      consumed++;
    }
    const more = consumed < rows.length || rows.length === limit;
    const tail = Object.entries({ nextOffset: more ? offset + consumed : null, ...extra })
      .map(([name, value]) => `,${JSON.stringify(name)}:${JSON.stringify(value)}`)
      .join('');
    return c.body(`{${JSON.stringify(key)}:[${parts.join(',')}]${tail}}`, 200, {
      'content-type': 'application/json; charset=utf-8',
    });
  };

  /** One page of a list the store gives whole (small, per tenant). */
  const slice = <T>(items: readonly T[], paging: { limit: number; offset: number }): T[] =>
    items.slice(paging.offset, paging.offset + paging.limit);

  /** Refused messages: their first bytes in base64, and what the terminals' quotas dropped. */
  const quarantinePage = async (c: Ctx, scope: TenantScope | null): Promise<Response> => {
    const dropped = await quarantineLog.dropped(scope);
    return pageJson(
      c,
      'quarantine',
      async (paging) =>
        (await quarantineLog.page(scope, paging)).map(({ head, ...entry }) => ({
          ...entry,
          headBase64: head.toString('base64'),
        })),
      { dropped },
    );
  };

  /** A query naming a site: 404 when the caller cannot see it, as for every other read. */
  const siteQuery = async <T extends { siteId?: string | undefined }>(c: unknown): Promise<T> => {
    const query = valid<T>(c, 'query');
    if (query.siteId !== undefined) await directory.requireSite(scopeOf(c as Ctx), query.siteId);
    return query;
  };

  const addUser = async (c: Ctx, tenantId: string, input: z.infer<typeof S.UserBody>) => {
    const user = await directory.createUser(tenantId, {
      login: input.login,
      name: input.name,
      role: input.role,
      passwordHash: await hashPassword(input.password),
    });
    await corrections.note(onBehalfOf(c, tenantId), 'create_user', `user ${user.login}`, null, {
      login: user.login,
      role: user.role,
    });
    return user;
  };

  // ---- the fleet operator ------------------------------------------------------------

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
        ...(input.hardwareProfile === undefined ? {} : { hardwareProfile: input.hardwareProfile }),
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
      const brokerUrl = options.broker?.url;
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
        broker: { url: brokerUrl, ...(options.broker?.caCert ? { caCert: options.broker.caCert } : {}) },
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

  // ---- tenants: tokens, sites, structure ------------------------------------------

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/tokens',
      tags: ['tenant'],
      request: body('role and label', S.TokenBody),
      responses: created('the token, shown once'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.TokenBody>>(c, 'json');
      const token = await directory.createApiToken(scopeOf(c).tenantId, input.role, input.label);
      await corrections.note(actorOf(c), 'create_token', `token ${input.label}`, null, input);
      return json(c, { token, ...input }, 201);
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/users',
      tags: ['tenant'],
      request: body('a person who signs in to the dashboard', S.UserBody),
      responses: created('the user (never the password)'),
    },
    async (c) =>
      json(c, { user: await addUser(c, scopeOf(c).tenantId, valid<z.infer<typeof S.UserBody>>(c, 'json')) }, 201),
  );

  route(
    'admin',
    {
      method: 'get',
      path: '/api/v1/users',
      tags: ['tenant'],
      request: { query: S.ListPaging },
      responses: ok("the tenant's dashboard users"),
    },
    async (c) => pageJson(c, 'users', async (paging) => slice(await directory.users(scopeOf(c).tenantId), paging)),
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/users/{userId}',
      tags: ['tenant'],
      request: { params: S.UserParam },
      responses: ok('removed; its sessions end at once'),
    },
    async (c) => {
      const { userId } = valid<{ userId: string }>(c, 'param');
      await directory.removeUser(scopeOf(c).tenantId, userId);
      await corrections.note(actorOf(c), 'remove_user', `user ${userId}`, { userId }, null);
      return json(c, { removed: userId });
    },
  );

  route(
    'admin',
    {
      method: 'get',
      path: '/api/v1/tokens',
      tags: ['tenant'],
      request: { query: S.ListPaging },
      responses: ok("the tenant's tokens: id, role, label, created; never the secrets"),
    },
    async (c) => pageJson(c, 'tokens', async (paging) => slice(await directory.tokens(scopeOf(c).tenantId), paging)),
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/tokens/{id}',
      tags: ['tenant'],
      request: { params: S.TokenParam },
      responses: ok('revoked; it stops working at once'),
    },
    async (c) => {
      const { id } = valid<{ id: string }>(c, 'param');
      await directory.revokeToken(scopeOf(c).tenantId, id);
      await corrections.note(actorOf(c), 'revoke_token', `token ${id}`, null, null);
      return json(c, { revoked: id });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/sites',
      tags: ['sites'],
      request: { query: S.ListPaging },
      responses: ok('sites the tenant sees, as prime or subcontractor'),
    },
    async (c) => pageJson(c, 'sites', async (paging) => slice(await directory.sites(scopeOf(c)), paging)),
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/sites',
      tags: ['sites'],
      request: body('a site the tenant is prime contractor of', S.SiteBody),
      responses: created('the site'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.SiteBody>>(c, 'json');
      const scope = scopeOf(c);
      await directory.createSite({
        siteId: input.siteId as SiteId,
        tenantId: scope.tenantId,
        name: input.name,
        rule: { timeZone: input.timeZone, dayBoundary: input.dayBoundary },
        maxShiftHours: input.maxShiftHours,
      });
      await corrections.note(actorOf(c), 'create_site', `site ${input.siteId}`, null, input);
      return json(c, { site: await directory.site(scope, input.siteId) }, 201);
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/sites/{siteId}',
      tags: ['sites'],
      request: { params: S.SiteParam },
      responses: ok('the site'),
    },
    async (c) => json(c, { site: await directory.site(scopeOf(c), valid<{ siteId: string }>(c, 'param').siteId) }),
  );

  route(
    'admin',
    {
      method: 'patch',
      path: '/api/v1/sites/{siteId}',
      tags: ['sites'],
      request: { params: S.SiteParam, ...body('what changes', S.SitePatch) },
      responses: ok('the site'),
    },
    async (c) => {
      const { siteId } = valid<{ siteId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.SitePatch>>(c, 'json');
      const scope = scopeOf(c);
      const before = await directory.site(scope, siteId);
      const terminals = await directory.updateSite(scope, siteId, {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.timeZone === undefined || input.dayBoundary === undefined
          ? {}
          : { rule: { timeZone: input.timeZone, dayBoundary: input.dayBoundary } }),
        ...(input.maxShiftHours === undefined ? {} : { maxShiftHours: input.maxShiftHours }),
      });
      await corrections.note(actorOf(c), 'update_site', `site ${siteId}`, before, input);
      effects.configChanged(terminals);
      return json(c, { site: await directory.site(scope, siteId) });
    },
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/sites/{siteId}/companies/{companyId}',
      tags: ['sites'],
      request: { params: S.SiteCompanyParam, ...body('the company and its place in the structure', S.SiteCompanyBody) },
      responses: ok('the site'),
    },
    async (c) => {
      const { siteId, companyId } = valid<{ siteId: string; companyId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.SiteCompanyBody>>(c, 'json');
      await directory.putSiteCompany(scopeOf(c), siteId, { companyId, ...input });
      await corrections.note(actorOf(c), 'put_site_company', `site ${siteId}`, null, { companyId, ...input });
      return json(c, { site: await directory.site(scopeOf(c), siteId) });
    },
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/sites/{siteId}/companies/{companyId}',
      tags: ['sites'],
      request: { params: S.SiteCompanyParam },
      responses: ok('the site'),
    },
    async (c) => {
      const { siteId, companyId } = valid<{ siteId: string; companyId: string }>(c, 'param');
      await directory.removeSiteCompany(scopeOf(c), siteId, companyId);
      await corrections.note(actorOf(c), 'remove_site_company', `site ${siteId}`, { companyId }, null);
      return json(c, { site: await directory.site(scopeOf(c), siteId) });
    },
  );

  // ---- rosters ----------------------------------------------------------------------

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/sites/{siteId}/roster',
      tags: ['rosters'],
      request: { params: S.SiteParam, query: S.ListPaging },
      responses: ok('the site roster (作業員名簿), by worker ID'),
    },
    async (c) =>
      pageJson(c, 'roster', (paging) =>
        directory.roster(scopeOf(c), valid<{ siteId: string }>(c, 'param').siteId, paging),
      ),
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/sites/{siteId}/roster',
      tags: ['rosters'],
      request: {
        params: S.SiteParam,
        ...body(
          'many places at once (up to 50,000; bodies up to http.maxBulkBodyKiB): all or nothing',
          S.RosterLoadBody,
        ),
      },
      responses: ok('how many places were added, changed and removed'),
    },
    async (c) => {
      const { siteId } = valid<{ siteId: SiteId }>(c, 'param');
      const input = valid<z.infer<typeof S.RosterLoadBody>>(c, 'json');
      const load = await directory.loadRoster(
        scopeOf(c),
        siteId,
        input.entries.map((entry) => ({ ...entry, workerId: entry.workerId as WorkerId })),
        { removeUnlisted: input.removeUnlisted },
      );
      await corrections.note(actorOf(c), 'load_roster', `site ${siteId}`, null, load);
      effects.rosterChanged([siteId]);
      effects.recordsQueued();
      return json(c, { load });
    },
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/sites/{siteId}/roster/{workerId}',
      tags: ['rosters'],
      request: { params: S.RosterParam, ...body("the worker's position and work content on this site", S.RosterBody) },
      responses: ok("the worker's place on the roster, as stored"),
    },
    async (c) => {
      const { siteId, workerId } = valid<{ siteId: SiteId; workerId: WorkerId }>(c, 'param');
      const input = valid<z.infer<typeof S.RosterBody>>(c, 'json');
      const scope = scopeOf(c);
      await directory.addToRoster(
        siteId,
        workerId,
        {
          trade: input.trade ?? null,
          position: input.position ?? null,
          workContent: input.workContent ?? null,
          periodFrom: input.periodFrom ?? null,
          periodUntil: input.periodUntil ?? null,
        },
        scope,
      );
      await corrections.note(actorOf(c), 'add_to_roster', `site ${siteId}`, null, { workerId, ...input });
      effects.rosterChanged([siteId]);
      effects.recordsQueued();
      return json(c, { entry: await directory.rosterEntry(scope, siteId, workerId) });
    },
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/sites/{siteId}/roster/{workerId}',
      tags: ['rosters'],
      request: { params: S.RosterParam },
      responses: ok('the place the worker had, now removed'),
    },
    async (c) => {
      const { siteId, workerId } = valid<{ siteId: SiteId; workerId: WorkerId }>(c, 'param');
      const scope = scopeOf(c);
      const removed = await directory.rosterEntry(scope, siteId, workerId);
      await directory.removeFromRoster(scope, siteId, workerId);
      await corrections.note(actorOf(c), 'remove_from_roster', `site ${siteId}`, { workerId }, null);
      effects.rosterChanged([siteId]);
      effects.recordsQueued();
      return json(c, { removed });
    },
  );

  // ---- terminals (the tenant's view) ------------------------------------------------

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/terminals',
      tags: ['terminals'],
      request: { query: S.ListPaging },
      responses: ok('terminals leased to the tenant'),
    },
    async (c) => pageJson(c, 'terminals', async (paging) => slice(await directory.terminals(scopeOf(c)), paging)),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/terminals/{terminalId}',
      tags: ['terminals'],
      request: { params: S.TerminalParam },
      responses: ok('the terminal and its last status'),
    },
    async (c) =>
      json(c, {
        terminal: await directory.terminalView(scopeOf(c), valid<{ terminalId: string }>(c, 'param').terminalId),
      }),
  );

  route(
    'admin',
    {
      method: 'put',
      path: '/api/v1/terminals/{terminalId}/settings',
      tags: ['terminals'],
      request: { params: S.TerminalParam, ...body('how the terminal behaves at the gate', S.TerminalSettingsBody) },
      responses: ok('the terminal'),
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
      const input = valid<z.infer<typeof S.TerminalSettingsBody>>(c, 'json');
      const scope = scopeOf(c);
      const before = (await directory.terminalView(scope, terminalId)).settings;
      await directory.setTerminalSettings(scope, terminalId, input);
      await corrections.note(actorOf(c), 'terminal_settings', `terminal ${terminalId}`, before, input);
      effects.configChanged([terminalId]);
      return json(c, { terminal: await directory.terminalView(scope, terminalId) });
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/terminals/{terminalId}/commands',
      tags: ['terminals'],
      request: { params: S.TerminalParam, ...body('a command for the terminal', S.CommandBody) },
      responses: { 202: { description: "sent; the result comes in the terminal's status" } },
    },
    async (c) => {
      const { terminalId } = valid<{ terminalId: TerminalId }>(c, 'param');
      const { command } = valid<z.infer<typeof S.CommandBody>>(c, 'json');
      await directory.terminalView(scopeOf(c), terminalId);
      return json(c, { id: effects.sendCommand(terminalId, command), command }, 202);
    },
  );

  // ---- workers and cards ------------------------------------------------------------

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/workers',
      tags: ['workers'],
      request: { query: S.Paging },
      responses: ok('workers the tenant registered or sees on its sites'),
    },
    async (c) => pageJson(c, 'workers', (paging) => directory.workers(scopeOf(c), paging)),
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/workers',
      tags: ['workers'],
      request: body('a worker (技能者)', S.WorkerBody),
      responses: created('the worker'),
    },
    async (c) => {
      const input = valid<z.infer<typeof S.WorkerBody>>(c, 'json');
      const scope = scopeOf(c);
      await directory.addWorker({
        workerId: input.workerId as WorkerId,
        tenantId: scope.tenantId,
        name: input.name,
        ...(input.employerCompanyId === undefined ? {} : { employerCompanyId: input.employerCompanyId }),
        ...(input.trades === undefined ? { trade: input.trade ?? null } : { trades: input.trades }),
        position: input.position ?? null,
      });
      await corrections.note(actorOf(c), 'add_worker', `worker ${input.workerId}`, null, { ...input, name: undefined });
      return json(c, { worker: await directory.worker(scope, input.workerId) }, 201);
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/workers/{workerId}',
      tags: ['workers'],
      request: { params: S.WorkerParam },
      responses: ok('the worker and their cards'),
    },
    async (c) =>
      json(c, { worker: await directory.worker(scopeOf(c), valid<{ workerId: string }>(c, 'param').workerId) }),
  );

  route(
    'admin',
    {
      method: 'patch',
      path: '/api/v1/workers/{workerId}',
      tags: ['workers'],
      request: { params: S.WorkerParam, ...body('what changes', S.WorkerPatch) },
      responses: ok('the worker'),
    },
    async (c) => {
      const { workerId } = valid<{ workerId: string }>(c, 'param');
      const input = valid<z.infer<typeof S.WorkerPatch>>(c, 'json');
      const scope = scopeOf(c);
      await directory.updateWorker(scope, workerId, input);
      await corrections.note(actorOf(c), 'update_worker', `worker ${workerId}`, null, input);
      return json(c, { worker: await directory.worker(scope, workerId) });
    },
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/workers/{workerId}',
      tags: ['workers'],
      request: { params: S.WorkerParam },
      responses: ok('removed; taps and records stay'),
    },
    async (c) => {
      const { workerId } = valid<{ workerId: string }>(c, 'param');
      const scope = scopeOf(c);
      const sites = await directory.removeWorker(scope, workerId);
      await corrections.note(actorOf(c), 'remove_worker', `worker ${workerId}`, { workerId }, null);
      effects.rosterChanged(sites);
      return json(c, { removed: workerId });
    },
  );

  route(
    'admin',
    {
      method: 'post',
      path: '/api/v1/workers/{workerId}/cards',
      tags: ['workers'],
      request: {
        params: S.WorkerParam,
        ...body("a card to bind; its unresolved taps become the worker's", S.CardBody),
      },
      responses: created('the binding, with how many taps it resolved'),
    },
    async (c) => {
      const { workerId } = valid<{ workerId: WorkerId }>(c, 'param');
      const input = valid<z.infer<typeof S.CardBody>>(c, 'json');
      const card = parseCardRef(input.card, input.tech);
      const bound = await corrections.bindCard(actorOf(c), card, workerId, input.reason ?? 'card registered');
      effects.rosterChanged(bound.sites);
      if (bound.resolvedTaps > 0) effects.recordsQueued();
      return json(c, { card, workerId, resolvedTaps: bound.resolvedTaps, correction: bound.id }, 201);
    },
  );

  route(
    'admin',
    {
      method: 'delete',
      path: '/api/v1/cards/{tech}/{id}',
      tags: ['workers'],
      request: { params: S.CardParam },
      responses: ok('the card is no longer bound'),
    },
    async (c) => {
      const params = valid<{ tech: 'felica' | 'mifare'; id: string }>(c, 'param');
      const card = parseCardRef(params.id, params.tech);
      const scope = scopeOf(c);
      const sites = await directory.removeCard(scope, card);
      await corrections.note(actorOf(c), 'remove_card', `card ${card.tech}:${card.id}`, card, null);
      effects.rosterChanged(sites);
      return json(c, { removed: card });
    },
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/unknown-cards',
      tags: ['workers'],
      request: { query: S.SiteQuery },
      responses: ok('cards tapped that no worker holds'),
    },
    async (c) => {
      const query = await siteQuery<{ siteId?: string }>(c);
      return pageJson(c, 'unknownCards', (paging) => queries.unknownCards(scopeOf(c), { ...query, ...paging }));
    },
  );

  // ---- taps, records, CCUS outbox ---------------------------------------------------

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

  // ---- corrections and approvals ----------------------------------------------------

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
    'viewer',
    {
      method: 'get',
      path: '/api/v1/audit',
      tags: ['corrections'],
      request: { query: S.Paging },
      responses: ok("the tenant's audit trail, newest first"),
    },
    async (c) => pageJson(c, 'audit', (paging) => corrections.audit(scopeOf(c), paging)),
  );

  route(
    'viewer',
    {
      method: 'get',
      path: '/api/v1/quarantine',
      tags: ['terminals'],
      request: { query: S.Paging },
      responses: ok("messages from the tenant's terminals that were refused"),
    },
    async (c) => quarantinePage(c, scopeOf(c)),
  );

  // ---- exports ------------------------------------------------------------------------

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

  // ---- the document and errors --------------------------------------------------------

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'CCUS Gate sync server',
      version: '1',
      description:
        "Tenant-scoped API: every call sees only the caller's tenant. Errors are application/problem+json; `field` names what was wrong.",
    },
  });

  app.notFound((c) => problem(c, 404, 'Not Found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (isStoreError(error)) {
      const status = STATUS_OF[error.code];
      return problem(
        c,
        status,
        TITLE_OF[status] ?? 'Error',
        error.message,
        error.field === null ? {} : { field: error.field },
      );
    }
    if (isProtocolError(error)) {
      return problem(c, 400, 'Bad Request', error.message, { field: error.field ?? '' });
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      const detail =
        status === 400 && /JSON/i.test(error.message) ? 'the body is not valid JSON' : error.message || 'refused';
      return problem(c, status, TITLE_OF[status] ?? 'Error', detail);
    }
    options.log?.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return problem(c, 500, 'Internal Server Error', 'the server failed; the error is logged');
  });
  return app;
}
