import { isProtocolError } from '@ccus-gate/protocol';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { isCcusError } from '../ccus/gateway.js';
import type { CcusSiteRegistry } from '../ccus/site-registry.js';
import { type BodyLimits, limitBodies } from '../http/body-limit.js';
import { type AddressOf, clientAddressOf } from '../http/client-address.js';
import { SignInLimiter } from '../http/sign-in-limiter.js';
import { isStoreError, type StoreErrorCode } from '../store/store-error.js';
import type { UpdatesSetup } from '../updates/release-upload.js';
import { serveApiReference } from './api-reference.js';
import { problem } from './problem.js';
import { serveReleases } from './release-downloads.js';
import { type ApiEffects, type ApiStores, type Caller, type Env, routeKit, router } from './route-kit.js';
import { alertRoutes } from './routes/alert-routes.js';
import { ccusSiteRoutes } from './routes/ccus-site-routes.js';
import { correctionRoutes } from './routes/correction-routes.js';
import { exportRoutes } from './routes/export-routes.js';
import { levelRoutes } from './routes/level-routes.js';
import { operatorRoutes } from './routes/operator-routes.js';
import { recordRoutes } from './routes/record-routes.js';
import { releaseRoutes } from './routes/release-routes.js';
import { rosterRoutes } from './routes/roster-routes.js';
import { tenantRoutes } from './routes/tenant-routes.js';
import { terminalRoutes } from './routes/terminal-routes.js';
import { workerLinkRoutes } from './routes/worker-link-routes.js';
import { workerRoutes } from './routes/worker-routes.js';

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
  /** CCUS's site registry (import and registration); null or absent where the adapter has none. */
  ccusSites?: CcusSiteRegistry | null;
  /** Over-the-air updates: where releases are kept and the key they are checked with; absent, none. */
  updates?: UpdatesSetup | null;
  /** Prometheus metrics, served to the operator (GET /api/v1/fleet/metrics). */
  metrics?: { text(): Promise<string>; readonly contentType: string };
  log?: Logger;
}

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
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export type { ApiEffects, ApiStores, Caller } from './route-kit.js';

type SchemaOf<T> = T extends OpenAPIHono<Env, infer S, string> ? S : never;
type Routes<F extends (...args: never[]) => unknown> = SchemaOf<ReturnType<F>>;
/** Every route's request and answer, as the typed client (hono/client `hc`) sees them. */
export type ApiSchema = Routes<typeof operatorRoutes> &
  Routes<typeof tenantRoutes> &
  Routes<typeof rosterRoutes> &
  Routes<typeof ccusSiteRoutes> &
  Routes<typeof terminalRoutes> &
  Routes<typeof workerRoutes> &
  Routes<typeof workerLinkRoutes> &
  Routes<typeof levelRoutes> &
  Routes<typeof alertRoutes> &
  Routes<typeof recordRoutes> &
  Routes<typeof correctionRoutes> &
  Routes<typeof exportRoutes> &
  Routes<typeof releaseRoutes>;
/** The API's type for `hc<ApiApp>`: the dashboard's client is typed from it. */
export type ApiApp = OpenAPIHono<Env, ApiSchema>;

/**
 * The tenant-scoped HTTP API. Every route declares the role it needs; every tenant query
 * goes through the caller's scope, so one tenant never reads or changes another's data.
 */
export function createHttpApi(store: ApiStores, options: HttpApiOptions = {}): OpenAPIHono<Env> {
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
  const { directory } = store;

  const app = router();
  app.use('*', limitBodies(options.bodyLimits));
  app.use('*', secureHeaders());
  app.get('/healthz', (c) => c.json({ ok: true }));
  serveApiReference(app as unknown as Hono);

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

  serveReleases(
    app,
    store,
    options.updates ?? null,
    limiter,
    addressOf,
    options.log === undefined ? {} : { log: options.log },
  );
  const kit = routeKit(store, effects, now, options.broker, options.metrics, options.updates ?? null);
  app
    .route('/', operatorRoutes(kit))
    .route('/', tenantRoutes(kit))
    .route('/', rosterRoutes(kit))
    .route('/', ccusSiteRoutes(kit, options.ccusSites ?? null))
    .route('/', terminalRoutes(kit))
    .route('/', workerRoutes(kit))
    .route('/', workerLinkRoutes(kit))
    .route('/', levelRoutes(kit))
    .route('/', alertRoutes(kit))
    .route('/', recordRoutes(kit))
    .route('/', correctionRoutes(kit))
    .route('/', exportRoutes(kit))
    .route('/', releaseRoutes(kit));

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
    if (isCcusError(error)) {
      // CCUS's refusal is for a person to act on; CCUS out of reach is for trying again.
      return error.kind === 'permanent'
        ? problem(c, 422, 'Unprocessable Content', `CCUS refused: ${error.message}`, { code: error.code })
        : problem(c, 503, 'Service Unavailable', `CCUS could not be reached: ${error.message}`, {
            code: error.code,
          });
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
