import { CcusSimulator, createHttpApi, HttpCcusGateway, type HttpListener, listenHttp } from '@ccus-gate/server';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * CCUS registration across the tiers of a site (施工体制): the prime registers the site and its
 * own workers, a subcontractor its own; each imports what CCUS shows it. Over real HTTP to the
 * simulator, which knows who is calling.
 */
describe('CCUS registration by prime and subcontractor', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  let simulator: CcusSimulator;
  let ccus: HttpListener;
  let api: Hono;

  beforeEach(async () => {
    dir = tempDir('ccus-tiers');
    f = apiFixture(dir.path);
    simulator = new CcusSimulator({ now: () => f.now.value });
    simulator.registerWorker(f.a.worker, ['とび'], { name: '技能者 a', employerCompanyId: f.a.companyId });
    simulator.registerWorker(f.sub.worker, ['型枠'], { name: '技能者 下請', employerCompanyId: f.sub.companyId });
    ccus = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
    // The fixture's API, with the CCUS side the server would have in http mode.
    api = createHttpApi(f.store, { ccusSites: new HttpCcusGateway(ccus.url).sites }) as unknown as Hono;
  });

  afterEach(async () => {
    await ccus.close();
    f.close();
    dir.remove();
  });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await api.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const register = (token: string) => call(token, 'POST', `/api/v1/sites/${f.a.siteId}/ccus/registration`, {});

  it('has each company register its own workers, the prime the site first', async () => {
    // Before the prime has registered the site, CCUS does not know it: the refusal says so.
    const early = await register(f.sub.admin);
    expect(early.body.registration).toMatchObject({
      site: 'prime_registers',
      registered: [],
      refused: [{ workerId: f.sub.worker, code: 'unknown_site' }],
    });

    const prime = await register(f.a.admin);
    expect(prime.body.registration).toMatchObject({
      site: 'registered',
      registered: [f.a.worker],
      refused: [],
      leftToEmployers: [{ workerId: f.sub.worker, employerCompanyId: f.sub.companyId }],
    });
    expect(simulator.register.sites.get(f.a.siteId)?.companies.has(f.sub.companyId)).toBe(true);

    const sub = await register(f.sub.admin);
    expect(sub.body.registration).toMatchObject({
      site: 'prime_registers',
      registered: [f.sub.worker],
      refused: [],
      leftToEmployers: [],
    });
    const roster = simulator.register.sites.get(f.a.siteId)?.roster;
    expect(roster?.get(f.a.worker)?.companyId).toBe(f.a.companyId);
    expect(roster?.get(f.sub.worker)?.companyId).toBe(f.sub.companyId);
  });

  it('shows each company the part of CCUS’s roster that is its own to import', async () => {
    await register(f.a.admin);
    await register(f.sub.admin);
    const subView = (await call(f.sub.admin, 'GET', `/api/v1/sites/${f.a.siteId}/ccus/roster`)).body.preview as {
      unchanged: number;
      add: unknown[];
      skipped: unknown[];
    };
    expect(subView).toMatchObject({ unchanged: 1, add: [], skipped: [] });
    const primeView = (await call(f.a.admin, 'GET', `/api/v1/sites/${f.a.siteId}/ccus/roster`)).body.preview as {
      unchanged: number;
      add: unknown[];
    };
    expect(primeView).toMatchObject({ unchanged: 2, add: [] });
  });
});
