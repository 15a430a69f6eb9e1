import type { CommandName, TerminalId } from '@ccus-gate/protocol';
import { createRoute, type OpenAPIHono, type RouteConfig, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { hashPassword } from '../credentials.js';
import type { Role } from '../store/directory-store.js';
import type { ServerStores } from '../store/server-stores.js';
import type { TenantScope } from '../store/tenant-scope.js';
import { problem } from './problem.js';
import * as S from './schemas.js';

/** What the API reads and changes: the people-facing stores, never the taps' or the outbox's own. */
export type ApiStores = Pick<
  ServerStores,
  'directory' | 'queries' | 'corrections' | 'quarantineLog' | 'enrolments' | 'workerLinks' | 'alertSubscriptions'
>;

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

/** Who makes an API call: a token's owner, or a dashboard user passed in-process. */
export interface Caller {
  role: Role;
  label: string;
  /** null for the operator. */
  scope: TenantScope | null;
}

export type Env = { Variables: { caller: Caller } };
export type Ctx = Context<Env>;
/**
 * Who may call a route. `:company` marks what concerns the whole company (accounts, tokens,
 * the books of workers, new sites, the audit trail): a user limited to some sites may not.
 */
type Need = 'viewer' | 'admin' | 'viewer:company' | 'admin:company' | 'operator' | 'public';

/** The most a list page's items take, in bytes of JSON. */
const PAGE_BYTES = 1024 * 1024;

export const json = (c: Ctx, body: unknown, status: ContentfulStatusCode = 200): Response =>
  c.body(JSON.stringify(body), status, { 'content-type': 'application/json; charset=utf-8' });

/**
 * What every group of routes (routes/*.ts) is declared with: the role check, validation and
 * OpenAPI entry of each route, the caller's scope, and bounded list pages.
 */
export function routeKit(
  app: OpenAPIHono<Env>,
  store: ApiStores,
  effects: ApiEffects,
  now: () => Date,
  broker: { url: string; caCert?: string } | undefined,
  metrics?: { text(): Promise<string>; readonly contentType: string },
) {
  const { directory, corrections, quarantineLog } = store;

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
        const [role, reach] = need.split(':') as [string, string | undefined];
        const allowed =
          role === 'operator'
            ? caller.role === 'operator'
            : caller.role !== 'operator' && (role === 'viewer' || caller.role === 'admin');
        if (!allowed) {
          return problem(c, 403, 'Forbidden', `this needs the ${role} role; the token has ${caller.role}`);
        }
        const sites = caller.scope?.sites;
        if (reach === 'company' && sites != null) {
          return problem(
            c,
            403,
            'Forbidden',
            `this concerns the whole company; the user is limited to the sites ${sites.join(', ')}`,
          );
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

  return {
    app,
    store,
    effects,
    now,
    broker,
    metrics,
    route,
    scopeOf,
    actorOf,
    onBehalfOf,
    body,
    ok,
    created,
    valid,
    pageJson,
    slice,
    quarantinePage,
    siteQuery,
    addUser,
  };
}

export type RouteKit = ReturnType<typeof routeKit>;
