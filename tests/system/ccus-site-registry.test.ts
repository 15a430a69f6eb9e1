import { createHttpApi, type HttpListener, hashPassword, listenHttp } from '@ccus-gate/server';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putOnCcus } from '../support/ccus-register.js';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';
import { overHttp, WebClient } from '../support/web-client.js';

/**
 * A site on CCUS's side, through the real stack: the server's HTTP API over a socket, the CCUS
 * simulator over its own, a terminal's taps over MQTT.
 */
describe("CCUS's site roster: registration and import", () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let http: HttpListener;
  let t: TestTerminal | undefined;
  let token: string;

  beforeEach(async () => {
    dir = tempDir('ccus-sites');
    server = await startSyncServer(dir.path, {
      forwarder: { pollMs: 50 },
      siteOnCcus: false,
      ccusNow: () => new Date('2026-11-24T03:00:00Z'),
    });
    http = await listenHttp(server.server.app, { host: '127.0.0.1', port: 0 });
    token = server.store.directory.createApiToken('t1', 'admin', 'site office');
  });

  afterEach(async () => {
    await t?.stop();
    t = undefined;
    await http.close();
    await server.close();
    dir.remove();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${http.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the answers' fields as the API documents them.
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const ccus = (path: string, body: object) => putOnCcus(server.ccusUrl, path, body);
  const simulator = () => server.simulator;
  const states = () => server.store.queries.records(T1, { limit: 100, offset: 0 }).map((r) => r.ccus?.state);

  it('answers a not_on_roster refusal with the fix that works: register on CCUS, and the records go again', async () => {
    const clock = testClock('2026-11-23T23:00:00Z');
    t = await startTestTerminal({ dir: dir.path, ...server.terminalConnection(), clock, roster: server.roster() });
    for (const worker of server.workers) t.tap(worker.card.id);
    await waitFor('two refused', () => states().filter((s) => s === 'refused').length === 2);
    const [refused] = server.store.queries.records(T1, { state: 'refused', limit: 1, offset: 0 });
    expect(refused?.ccus?.lastError).toMatch(/^not_on_roster/);

    // Our own roster already has them: adding them here again changes nothing on CCUS's side.
    const retried = await api('POST', `/api/v1/records/11/${refused?.workerId}/2026-11-24/retry`);
    expect(retried.status).toBe(200);
    await waitFor('refused again', () => states().filter((s) => s === 'refused').length === 2);

    const registration = await api('POST', '/api/v1/sites/11/ccus/registration', {});
    expect(registration).toMatchObject({
      status: 200,
      body: {
        registration: {
          site: 'registered',
          registered: server.workers.map((w) => w.workerId),
          refused: [],
          resent: 2,
        },
      },
    });
    await waitFor('both accepted', () => states().every((s) => s === 'accepted'));
    expect(server.simulator.register.sites.get('11')).toMatchObject({ name: 's', primeCompanyId: '1' });
    expect(server.simulator.records.size).toBe(2);
    const audit = server.store.corrections.audit(T1, { limit: 10, offset: 0 });
    expect(audit.map((entry) => entry.action)).toContain('register_on_ccus');
  });

  it('registers whom CCUS accepts and names each one it refuses, with its reason', async () => {
    server.store.directory.addWorker({
      workerId: '10000000000009' as never,
      tenantId: 't1',
      name: 'not in CCUS',
      trades: ['土工'],
    });
    server.store.directory.addToRoster(server.siteId, '10000000000009' as never, { trade: '土工' }, T1);
    const registration = await api('POST', '/api/v1/sites/11/ccus/registration', {});
    expect(registration.status).toBe(200);
    expect(registration.body.registration.registered).toHaveLength(2);
    expect(registration.body.registration.refused).toEqual([
      {
        workerId: '10000000000009',
        code: 'unknown_worker',
        message: expect.stringContaining('not registered in CCUS'),
      },
    ]);

    // Only the named workers, and a name not on our roster is refused before CCUS is asked.
    const unknown = await api('POST', '/api/v1/sites/11/ccus/registration', { workerIds: ['10000000000077'] });
    expect(unknown).toMatchObject({ status: 422, body: { code: 'not_on_our_roster' } });
    expect((await api('POST', '/api/v1/sites/11/ccus/registration', { workerIds: ['12'] })).status).toBe(400);
  });

  it("shows what importing CCUS's roster would change, changes nothing until confirmed, and applies that preview only", async () => {
    const [first, second] = server.workers;
    // The prime registered the site and a subcontractor on CCUS; their workers are on CCUS's roster.
    expect(
      await ccus('/v1/sites/11', {
        name: 's',
        primeCompanyId: '1',
        companies: [{ companyId: '2', name: 'sub', tier: 1, parentCompanyId: '1' }],
      }),
    ).toBe(200);
    await ccus('/v1/workers/10000000000003', { name: '新人 三郎', employerCompanyId: '1', trades: ['土工'] });
    await ccus('/v1/workers/20000000000001', { name: '下請 一郎', employerCompanyId: '2', trades: ['鉄筋'] });
    const place = (companyId: string, trade: string, position: string | null = null) => ({
      companyId,
      trade,
      position,
      workContent: null,
    });
    await ccus(`/v1/sites/11/workers/${first?.workerId}`, place('1', 'とび', 'foreman'));
    await ccus(`/v1/sites/11/workers/${second?.workerId}`, { ...place('1', 'とび'), trade: null });
    await ccus('/v1/sites/11/workers/10000000000003', place('1', '土工'));
    await ccus('/v1/sites/11/workers/20000000000001', place('2', '鉄筋'));

    const preview = await api('GET', '/api/v1/sites/11/ccus/roster');
    expect(preview.status).toBe(200);
    const plan = preview.body.preview;
    expect(plan.add.map((p: { workerId: string; books: string }) => [p.workerId, p.books])).toEqual([
      ['10000000000003', 'create'],
      ['20000000000001', 'create'],
    ]);
    expect(plan.change).toEqual([
      expect.objectContaining({ workerId: first?.workerId, position: 'foreman', before: expect.anything() }),
    ]);
    expect(plan).toMatchObject({ unchanged: 1, skipped: [], onlyHere: [] });
    expect(server.store.directory.roster(T1, '11')).toHaveLength(2);

    expect((await api('POST', '/api/v1/sites/11/ccus/roster/import', { digest: 'x' })).body).toMatchObject({
      code: 'preview_outdated',
    });
    // CCUS changes between the preview and the confirmation: the old preview is not applied.
    await ccus('/v1/sites/11/workers/10000000000003', place('1', '土工', 'leader'));
    const stale = await api('POST', '/api/v1/sites/11/ccus/roster/import', { digest: plan.digest });
    expect(stale.status).toBe(409);
    expect(server.store.directory.roster(T1, '11')).toHaveLength(2);

    const fresh = (await api('GET', '/api/v1/sites/11/ccus/roster')).body.preview;
    const applied = await api('POST', '/api/v1/sites/11/ccus/roster/import', { digest: fresh.digest });
    expect(applied).toMatchObject({ status: 200, body: { applied: { added: 2, changed: 1, unchanged: 1 } } });
    const roster = server.store.directory.roster(T1, '11');
    expect(roster.map((e) => [e.workerId, e.trade, e.position])).toEqual([
      [first?.workerId, 'とび', 'foreman'],
      [second?.workerId, null, null],
      ['10000000000003', '土工', 'leader'],
      ['20000000000001', '鉄筋', null],
    ]);
    expect(server.store.directory.worker(T1, '20000000000001')).toMatchObject({
      name: '下請 一郎',
      employerCompanyId: '2',
      trades: ['鉄筋'],
    });
    // Imported again, nothing is left to change.
    expect((await api('GET', '/api/v1/sites/11/ccus/roster')).body.preview).toMatchObject({
      add: [],
      change: [],
      unchanged: 4,
    });
  });

  it('says what to do when CCUS does not hold the site, and when the server sends by file', async () => {
    const missing = await api('GET', '/api/v1/sites/11/ccus/roster');
    expect(missing).toMatchObject({ status: 422, body: { code: 'unknown_site' } });
    expect(missing.body.detail).toMatch(/not registered in CCUS/);

    const byFile = createHttpApi(server.store) as unknown as Hono;
    const response = await byFile.request('/api/v1/sites/11/ccus/roster', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ code: 'ccus_registry_unavailable' });
  });

  it('offers, on the import page, to register on CCUS the workers its roster lacks, and does', async () => {
    const [first, second] = server.workers;
    // CCUS has the site with the first worker only.
    await ccus('/v1/sites/11', { name: 's', primeCompanyId: '1', companies: [] });
    await ccus(`/v1/sites/11/workers/${first?.workerId}`, {
      companyId: '1',
      trade: null,
      position: null,
      workContent: null,
    });
    server.store.directory.createUser('t1', {
      login: 'office',
      name: 'office',
      role: 'admin',
      passwordHash: await hashPassword('office password 2026'),
    });
    const office = new WebClient(overHttp(http.url));
    expect((await office.signIn('office', 'office password 2026')).status).toBe(303);
    await office.get('/sites/11/ccus-import');
    expect(office.html).toContain(`<code>${second?.workerId}</code>`);
    expect(office.html).toContain(`name="workerIds" value="${second?.workerId}"`);
    const sent = await office.post('/sites/11/ccus-register', { workerIds: second?.workerId as string });
    expect(await office.follow(sent)).toContain('CCUSに1人を登録しました');
    expect(
      simulator()
        .register.sites.get('11')
        ?.roster.has(second?.workerId as string),
    ).toBe(true);
    await office.get('/sites/11/ccus-import');
    expect(office.html).not.toContain('data-testid="ccus-import-only-here"');
  });
});
