import { parseCardRef, parseSiteId, parseTerminalId, parseWorkerId } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { PASSWORD, WebClient, type WebFixture, webFixture } from '../support/web-client.js';

/**
 * A user limited to some of the company's sites (a foreman at one site): they see and change
 * only those sites, through the API and on the dashboard, and nothing that concerns the whole
 * company; the limit applies at their next request.
 */
describe('users limited to chosen sites', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: WebFixture;
  const second = parseSiteId('20260000000009');
  const secondGate = parseTerminalId('gate-a2');
  const secondWorker = parseWorkerId('11110000000009');
  let userId: string;

  beforeEach(async () => {
    dir = tempDir('site-limits');
    f = await webFixture(dir.path);
    const scope = { tenantId: f.a.tenantId, companyId: f.a.companyId };
    f.store.directory.createSite({
      siteId: second,
      tenantId: f.a.tenantId,
      name: '第二現場',
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
    });
    f.store.directory.createTerminal({ terminalId: secondGate, tenantId: f.a.tenantId, siteId: second });
    f.store.directory.addWorker({
      workerId: secondWorker,
      tenantId: f.a.tenantId,
      name: '二号 職長',
      trades: ['とび'],
    });
    f.store.directory.addToRoster(second, secondWorker, {}, scope);
    const card = parseCardRef('0909090909090909');
    f.store.directory.addCard(card, secondWorker, scope);
    f.tap(secondGate, [{ card, workerId: secondWorker, direction: 'in', at: '2026-11-20T07:40:00.000+09:00' }]);
    const response = await f.call(f.a.admin, 'POST', '/api/v1/users', {
      login: 'a-foreman',
      name: '第二 現場監督',
      role: 'admin',
      password: PASSWORD,
    });
    userId = ((await response.json()) as { user: { userId: string } }).user.userId;
    const limited = await f.call(f.a.admin, 'PUT', `/api/v1/users/${userId}/sites`, { sites: [second] });
    expect(limited.status).toBe(200);
    expect(await limited.json()).toMatchObject({ user: { login: 'a-foreman', sites: [second] } });
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  /** The API as the dashboard calls it for the signed-in user. */
  const asForeman = (method: string, path: string, body?: unknown) =>
    f.app.request(
      path,
      {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      {
        caller: {
          role: 'admin',
          label: 'foreman',
          scope: { tenantId: f.a.tenantId, companyId: f.a.companyId, sites: [second] },
        },
      },
    );
  const read = async (method: string, path: string, body?: unknown) => {
    const response = await asForeman(method, path, body);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('sees only their sites, and the terminals, records, taps and rosters there', async () => {
    expect((await read('GET', '/api/v1/sites')).body.sites).toEqual([expect.objectContaining({ siteId: second })]);
    expect((await read('GET', `/api/v1/sites/${f.a.siteId}`)).status).toBe(404);
    expect((await read('GET', '/api/v1/terminals')).body.terminals).toEqual([
      expect.objectContaining({ terminalId: secondGate }),
    ]);
    expect((await read('GET', `/api/v1/terminals/${f.a.terminalId}`)).status).toBe(404);
    const records = (await read('GET', '/api/v1/records')).body.records as { siteId: string }[];
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.siteId === second)).toBe(true);
    const taps = (await read('GET', '/api/v1/taps')).body.taps as { siteId: string }[];
    expect(taps.map((t) => t.siteId)).toEqual([second]);
    expect((await read('GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-20`)).status).toBe(404);
    expect((await read('GET', '/api/v1/unknown-cards')).body.unknownCards).toEqual([]);
    // Changes at the other site are refused as if it did not exist; at their own site they go.
    expect(
      (await read('PUT', `/api/v1/sites/${f.a.siteId}/roster/${f.a.worker}`, { position: 'foreman' })).status,
    ).toBe(404);
    expect((await read('PUT', `/api/v1/terminals/${f.a.terminalId}/settings`, {})).status).toBeGreaterThanOrEqual(400);
    expect((await read('PUT', `/api/v1/sites/${second}/roster/${secondWorker}`, { position: 'foreman' })).status).toBe(
      200,
    );
  });

  it('may not do what concerns the whole company, and is told why', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/users', undefined],
      ['POST', '/api/v1/tokens', { role: 'viewer', label: 'x' }],
      ['PUT', `/api/v1/users/${userId}/sites`, { sites: null }],
      ['POST', '/api/v1/sites', { siteId: '20260000000010', name: 'x' }],
      ['POST', '/api/v1/workers', { workerId: '11110000000010', name: 'x' }],
      ['DELETE', `/api/v1/workers/${secondWorker}`, undefined],
      ['GET', '/api/v1/audit', undefined],
      ['GET', '/api/v1/quarantine', undefined],
    ] as const) {
      const answer = await read(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.detail, `${method} ${path}`).toContain(`limited to the sites ${second}`);
    }
  });

  it('names a site the tenant does not have, and takes null for every site', async () => {
    const limit = (sites: unknown) => f.call(f.a.admin, 'PUT', `/api/v1/users/${userId}/sites`, { sites });
    const other = await limit([f.b.siteId]);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { detail: string }).detail).toContain(f.b.siteId);
    expect((await limit([])).status).toBe(400);
    expect((await limit(null)).status).toBe(200);
    expect(f.store.directory.users(f.a.tenantId).find((u) => u.userId === userId)?.sites).toBeNull();
  });

  it('shows the dashboard of their sites only, and a change of limits at the next page', async () => {
    const foreman = new WebClient(f.web);
    expect((await foreman.signIn('a-foreman', PASSWORD)).status).toBe(303);
    await foreman.get('/terminals');
    expect(foreman.html).toContain(secondGate);
    expect(foreman.html).not.toContain(`>${f.a.terminalId}<`);
    expect(foreman.html).not.toContain('href="/accounts"');
    expect(foreman.html).not.toContain('href="/audit"');
    await foreman.get('/workers');
    expect(foreman.html).not.toContain('action="/workers/import"');

    const admin = await f.client('a-admin');
    await admin.get('/accounts');
    expect(admin.html).toContain(`data-sites="${second}"`);
    // No site ticked: every site.
    const saved = await admin.post(`/accounts/users/${userId}/sites`, { login: 'a-foreman' });
    expect(await admin.follow(saved)).toContain('a-foremanの現場を保存しました');

    await foreman.get('/terminals');
    expect(foreman.html).toContain(f.a.terminalId);
    expect(foreman.html).toContain('href="/accounts"');
  });

  it('gets alerts by e-mail for their sites only', async () => {
    const subscribed = await read('POST', '/api/v1/alert-subscriptions', {
      channel: 'email',
      target: 'foreman@example.jp',
    });
    expect(subscribed.status).toBe(201);
    const scopes = f.store.alertSubscriptions.tenantsSubscribed();
    expect(scopes).toEqual([{ tenantId: f.a.tenantId, companyId: f.a.companyId, sites: [second] }]);
    const whole = { tenantId: f.a.tenantId, companyId: f.a.companyId };
    const alert = {
      kind: 'records_refused' as const,
      severity: 'bad' as const,
      terminalId: null,
      count: 1,
      since: null,
    };
    // Alerts worked out for the whole company reach nobody limited to a site; those of the site do.
    expect(f.store.alertSubscriptions.offer(whole, [alert], '2026-11-24')).toBe(0);
    expect(f.store.alertSubscriptions.offer(scopes[0] as never, [alert], '2026-11-24')).toBe(1);
  });

  it('creates a user limited to sites in one step, and refuses a site the tenant lacks without creating anyone', async () => {
    const body = (login: string, sites: string[]) => ({
      login,
      name: login,
      role: 'viewer',
      password: PASSWORD,
      sites,
    });
    const lacking = await f.call(f.a.admin, 'POST', '/api/v1/users', body('a-nobody', [f.b.siteId]));
    expect(lacking.status).toBe(404);
    expect(f.store.directory.users(f.a.tenantId).map((u) => u.login)).not.toContain('a-nobody');
    const made = await f.call(f.a.admin, 'POST', '/api/v1/users', body('a-clerk', [second]));
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ user: { login: 'a-clerk', sites: [second] } });

    // On the Accounts page: the sites ticked when the user is added.
    const admin = await f.client('a-admin');
    await admin.get('/accounts');
    const added = await admin.post('/accounts/users', {
      login: 'a-gate',
      name: 'gate',
      role: 'viewer',
      password: PASSWORD,
      [`site:${second}`]: 'on',
    });
    expect(await admin.follow(added)).toContain('a-gate');
    expect(f.store.directory.users(f.a.tenantId).find((u) => u.login === 'a-gate')?.sites).toEqual([second]);
  });
});
