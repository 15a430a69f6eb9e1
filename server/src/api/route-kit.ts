import type { CommandName, TerminalId } from '@ccus-gate/protocol';
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler, TypedResponse } from 'hono';
import type { JSONParsed } from 'hono/utils/types';
import { hashPassword } from '../credentials.js';
import type { QuarantineDropped, QuarantinedMessage } from '../quarantine/quarantine-log.js';
import type { Role } from '../store/directory-store.js';
import type { ServerStores } from '../store/server-stores.js';
import type { TenantScope } from '../store/tenant-scope.js';
import type { UpdatesSetup } from '../updates/release-upload.js';
import { describeIssues } from './describe-issues.js';
import { problem } from './problem.js';
import * as S from './schemas.js';
/** What the API reads and changes: the people-facing stores, never the taps' or the outbox's own. */
export type ApiStores = Pick<
  ServerStores,
  | 'directory'
  | 'queries'
  | 'corrections'
  | 'quarantineLog'
  | 'enrolments'
  | 'workerLinks'
  | 'alertSubscriptions'
  | 'updates'
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
export type Need = 'viewer' | 'admin' | 'viewer:company' | 'admin:company' | 'operator';

/** The most a list page's items take, in bytes of JSON. */
const PAGE_BYTES = 1024 * 1024;

/** A JSON answer as the client reads it, typed for the route's declared response. */
export type JsonAnswer<T, Status extends number = 200> = Response &
  TypedResponse<JSONParsed<T>, Status extends 200 | 201 | 202 ? Status : never, 'json'>;

/** One page of a list: its items under `key`, where the next page starts (null on the last), and extras. */
export type Page<K extends string, T, Extra = unknown> = { [P in K]: T[] } & { nextOffset: number | null } & Extra;

/** What a store method answers, awaited. */
export type Answer<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

/** A new API token: shown once, with the role and label asked for. */
export type NewToken = { token: string; role: 'admin' | 'viewer'; label: string };

/** Quarantined messages: their first bytes in base64, and what each terminal's quota dropped. */
export type QuarantinePage = Page<
  'quarantine',
  Omit<QuarantinedMessage, 'head'> & { headBase64: string },
  { dropped: QuarantineDropped[] }
>;

/** A JSON body of type T in the OpenAPI document: an object there, T to the typed client. */
const shape = <T>(): z.ZodCustom<T, T> => z.custom<T>().openapi({ type: 'object' });

type JsonContent<T> = { 'application/json': { schema: z.ZodCustom<T, T> } };
/**
 * An answer of type T with this status. (A mapped type keeps the status a number when
 * responses are spread together; a plain `{ 200: ... }` would turn it into the string "200".)
 */
const answer = <Status extends 200 | 201 | 202, T>(status: Status, description: string) =>
  ({ [status]: { description, content: { 'application/json': { schema: shape<T>() } } } }) as {
    [K in Status]: { description: string; content: JsonContent<T> };
  };
/** A 200 answer of type T. */
export const ok = <T>(description: string) => answer<200, T>(200, description);
/** A 201 answer of type T. */
export const created = <T>(description: string) => answer<201, T>(201, description);
/** A 202 answer of type T. */
export const accepted = <T>(description: string) => answer<202, T>(202, description);
/** A CSV file. */
export const csvFile = (description: string) =>
  ({ 200: { description, content: { 'text/csv': { schema: z.string() } } } }) as {
    [K in 200]: { description: string; content: { 'text/csv': { schema: z.ZodString } } };
  };
/** A refusal a handler answers itself (beyond 400, 401 and 403, which every route may). */
export const refusal = <Status extends 404 | 409 | 422 | 503>(status: Status, description: string) =>
  ({ [status]: { description, content: { 'application/problem+json': { schema: S.Problem } } } }) as {
    [K in Status]: { description: string; content: { 'application/problem+json': { schema: typeof S.Problem } } };
  };
/** A request body: JSON of this schema. */
export const body = <T extends z.ZodType>(description: string, schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true, description },
});

/** Refuses a caller whose role (or reach, for `:company`) the route does not allow. */
function guard(need: Need): MiddlewareHandler<Env> {
  const [role, reach] = need.split(':') as [string, string | undefined];
  return async (c, next) => {
    const caller = c.get('caller');
    const allowed =
      role === 'operator'
        ? caller.role === 'operator'
        : caller.role !== 'operator' && (role === 'viewer' || caller.role === 'admin');
    if (!allowed) return problem(c, 403, 'Forbidden', `this needs the ${role} role; the token has ${caller.role}`);
    const sites = caller.scope?.sites;
    if (reach === 'company' && sites != null) {
      return problem(
        c,
        403,
        'Forbidden',
        `this concerns the whole company; the user is limited to the sites ${sites.join(', ')}`,
      );
    }
    await next();
  };
}

const PROBLEM = { 'application/problem+json': { schema: S.Problem } };
const INVALID = { 400: { description: 'the request is invalid; `field` names what', content: PROBLEM } };
const DENIED = {
  401: { description: 'no valid token', content: PROBLEM },
  403: { description: 'the role may not do this', content: PROBLEM },
};

/**
 * A route as the API declares it: the role it needs (as middleware, before validation), its
 * request and typed responses, and the refusals every route may give, for the document.
 */
export function define<const R extends RouteConfig>(need: Need, config: R) {
  return createRoute({
    ...config,
    middleware: guard(need),
    security: [{ bearer: [] }],
    responses: { ...config.responses, ...INVALID, ...DENIED },
  });
}

/** A group of routes (routes/*.ts): invalid requests answered as problems naming the field. */
export function router(): OpenAPIHono<Env> {
  return new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const { detail, field } = describeIssues(result.target, result.error.issues);
      return problem(c, 400, 'Bad Request', detail, { field });
    },
  });
}

/**
 * What every group of routes (routes/*.ts) works with: the stores, the effects, the caller's
 * scope, and bounded list pages.
 */
export function routeKit(
  store: ApiStores,
  effects: ApiEffects,
  now: () => Date,
  broker: { url: string; caCert?: string } | undefined,
  metrics?: { text(): Promise<string>; readonly contentType: string },
  updates: UpdatesSetup | null = null,
) {
  const { directory, corrections, quarantineLog } = store;

  const scopeOf = (c: Ctx): TenantScope => c.get('caller').scope as TenantScope;
  const actorOf = (c: Ctx) => ({ ...scopeOf(c), name: c.get('caller').label });
  /** The operator acting on a tenant's behalf (or on no tenant's), for that tenant's audit trail. */
  const onBehalfOf = (c: Ctx, tenantId: string | null) => ({ tenantId, name: c.get('caller').label });

  /**
   * A list page as JSON, bounded in bytes as well as rows: it stops before the item that
   * would take it past PAGE_BYTES (never before the first), and `nextOffset` says where the
   * next page starts (null on the last).
   */
  const pageJson = async <K extends string, T, Extra extends Record<string, unknown> = Record<never, never>>(
    c: Ctx,
    key: K,
    /** One row per stored row; null for a row the caller does not get (filtered), so offsets stay the store's. */
    load: (paging: { limit: number; offset: number }) => (T | null)[] | Promise<(T | null)[]>,
    extra?: Extra,
  ): Promise<JsonAnswer<Page<K, T, Extra>>> => {
    const { limit, offset } = (c.req as unknown as { valid(target: 'query'): { limit: number; offset: number } }).valid(
      'query',
    );
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
    // Written by hand to bound it in bytes; the shape is Page<K, T, Extra>.
    return c.body(`{${JSON.stringify(key)}:[${parts.join(',')}]${tail}}`, 200, {
      'content-type': 'application/json; charset=utf-8',
    }) as unknown as JsonAnswer<Page<K, T, Extra>>;
  };

  /** One page of a list the store gives whole (small, per tenant). */
  const slice = <T>(items: readonly T[], paging: { limit: number; offset: number }): T[] =>
    items.slice(paging.offset, paging.offset + paging.limit);

  /** Refused messages: their first bytes in base64, and what the terminals' quotas dropped. */
  const quarantinePage = async (c: Ctx, scope: TenantScope | null) => {
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
  const checkSite = async (c: Ctx, siteId: string | undefined): Promise<void> => {
    if (siteId !== undefined) await directory.requireSite(scopeOf(c), siteId);
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
    store,
    effects,
    now,
    broker,
    metrics,
    updates,
    scopeOf,
    actorOf,
    onBehalfOf,
    pageJson,
    slice,
    quarantinePage,
    checkSite,
    addUser,
  };
}

export type RouteKit = ReturnType<typeof routeKit>;
