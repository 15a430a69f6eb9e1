import { type Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Role, ServerStore } from '../store/server-store.js';
import { problem } from './problem.js';

type Env = { Variables: { tenantId: string; role: Role } };

function intParam(value: string | undefined, name: string, fallback: number, max: number): number | string {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) return `${name} must be a whole number from 0 to ${max}`;
  return n;
}

/** `limit` and `offset` from the query, or the problem response naming the bad one. */
function paging(c: Context<Env>): { limit: number; offset: number } | Response {
  const limit = intParam(c.req.query('limit'), 'limit', 100, 1000);
  if (typeof limit === 'string') return problem(c, 400, 'Bad Request', limit, { field: 'limit' });
  const offset = intParam(c.req.query('offset'), 'offset', 0, 1_000_000);
  if (typeof offset === 'string') return problem(c, 400, 'Bad Request', offset, { field: 'offset' });
  return { limit, offset };
}

/** The tenant-scoped HTTP API. Every query is filtered by the caller's tenant. */
export function createHttpApi(store: ServerStore): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', secureHeaders());
  app.get('/healthz', (c) => c.json({ ok: true }));

  app.use('/api/*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match === null) return problem(c, 401, 'Unauthorized', 'send an API token as "Authorization: Bearer <token>"');
    const owner = store.tokenOwner(match[1] as string);
    if (owner === null) return problem(c, 401, 'Unauthorized', 'the API token is not valid');
    c.set('tenantId', owner.tenantId);
    c.set('role', owner.role);
    await next();
  });

  app.get('/api/v1/terminals', (c) => c.json({ terminals: store.terminals(c.get('tenantId')) }));

  app.get('/api/v1/taps', (c) => {
    const page = paging(c);
    if (page instanceof Response) return page;
    const siteId = c.req.query('siteId');
    return c.json({
      taps: store.taps({ tenantId: c.get('tenantId'), ...page, ...(siteId ? { siteId } : {}) }),
    });
  });

  app.get('/api/v1/records', (c) => {
    const page = paging(c);
    if (page instanceof Response) return page;
    const month = c.req.query('month');
    if (month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
      return problem(c, 400, 'Bad Request', `month ${JSON.stringify(month)} must be YYYY-MM`, { field: 'month' });
    }
    const siteId = c.req.query('siteId');
    return c.json({
      records: store.records({
        tenantId: c.get('tenantId'),
        ...page,
        ...(siteId ? { siteId } : {}),
        ...(month ? { month } : {}),
      }),
    });
  });

  app.notFound((c) => problem(c, 404, 'Not Found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => problem(c, 500, 'Internal Server Error', error.message));
  return app;
}
