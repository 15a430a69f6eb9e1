import { type EngineKind, rows, type StoreEngine } from '@ccus-gate/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixtureOn } from '../support/api-fixture.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Every route in the served OpenAPI document is called by tenant B against tenant A's
 * resources. Reads must show B nothing of A; writes must be refused and change nothing.
 * A route added to the API without an entry here fails the first test.
 */

type Expect = { status: number[]; ownData?: boolean };
interface Attempt {
  body?: unknown;
  expect: Expect & { undo?: boolean };
}

const REFUSED = { status: [403, 404, 409] };
const OPERATOR_ONLY = { status: [403] };
const LIST = { status: [200] };
/** Allowed, on the caller's own books only: undone at once, so later routes find nothing of B's there. */
const OWN_BOOKS = { status: [201], undo: true };

function attempts(f: ApiFixture<StoreEngine>): Record<string, Attempt> {
  const { a, b } = f;
  const settings = { directionMode: 'in', debounceSeconds: 5, unknownCard: 'accept', retentionDays: 30 };
  return {
    'GET /api/v1/tenants': { expect: OPERATOR_ONLY },
    'POST /api/v1/tenants': {
      body: { tenantId: 'evil', companyId: '99999999999999', name: 'x' },
      expect: OPERATOR_ONLY,
    },
    'POST /api/v1/tenants/{tenantId}/tokens': { body: { role: 'admin', label: 'x' }, expect: OPERATOR_ONLY },
    'GET /api/v1/tenants/{tenantId}/tokens': { expect: OPERATOR_ONLY },
    'DELETE /api/v1/tenants/{tenantId}/tokens/{id}': { expect: OPERATOR_ONLY },
    'GET /api/v1/tokens': { expect: LIST },
    'DELETE /api/v1/tokens/{id}': { expect: REFUSED },
    'POST /api/v1/tenants/{tenantId}/users': {
      body: { login: 'evil', name: 'x', role: 'admin', password: 'long enough password' },
      expect: OPERATOR_ONLY,
    },
    // B's own dashboard user: allowed, and nothing of A's.
    'POST /api/v1/users': {
      body: { login: 'b-second', name: 'x', role: 'viewer', password: 'long enough password' },
      expect: { status: [201], ownData: true },
    },
    'GET /api/v1/users': { expect: LIST },
    'PUT /api/v1/users/{userId}/password': { body: { password: 'taken over 2026' }, expect: REFUSED },
    'DELETE /api/v1/users/{userId}/two-factor': { expect: REFUSED },
    'PUT /api/v1/users/{userId}/sites': { body: { sites: [b.siteId] }, expect: REFUSED },
    'DELETE /api/v1/users/{userId}': { expect: REFUSED },
    'GET /api/v1/fleet/terminals': { expect: OPERATOR_ONLY },
    'POST /api/v1/fleet/terminals': {
      body: { terminalId: 'gate-evil', hardwareProfile: 'pi-pn532-uart' },
      expect: OPERATOR_ONLY,
    },
    'PUT /api/v1/fleet/terminals/{terminalId}/lease': {
      body: { tenantId: b.tenantId, siteId: b.siteId },
      expect: OPERATOR_ONLY,
    },
    'DELETE /api/v1/fleet/terminals/{terminalId}/lease': { expect: OPERATOR_ONLY },
    'POST /api/v1/fleet/terminals/{terminalId}/provisioning': { expect: OPERATOR_ONLY },
    'GET /api/v1/fleet/quarantine': { expect: OPERATOR_ONLY },
    'GET /api/v1/fleet/metrics': { expect: OPERATOR_ONLY },
    'PUT /api/v1/fleet/releases/{version}': { expect: OPERATOR_ONLY },
    'GET /api/v1/fleet/releases': { expect: OPERATOR_ONLY },
    'POST /api/v1/fleet/rollouts': { body: { version: '1.0.0', share: 100 }, expect: OPERATOR_ONLY },
    'GET /api/v1/fleet/rollouts/{version}': { expect: OPERATOR_ONLY },
    'DELETE /api/v1/fleet/rollouts/{version}': { expect: OPERATOR_ONLY },
    // B's own token, in B's own tenant: allowed, and nothing of A's.
    'POST /api/v1/tokens': { body: { role: 'viewer', label: 'b2' }, expect: { status: [201], ownData: true } },
    'GET /api/v1/sites': { expect: LIST },
    'POST /api/v1/sites': { body: { siteId: a.siteId, name: 'taken over' }, expect: REFUSED },
    'GET /api/v1/sites/{siteId}': { expect: REFUSED },
    'PATCH /api/v1/sites/{siteId}': { body: { name: 'taken over' }, expect: REFUSED },
    'PUT /api/v1/sites/{siteId}/companies/{companyId}': {
      body: { name: 'x', tier: 1, parentCompanyId: a.companyId },
      expect: REFUSED,
    },
    'DELETE /api/v1/sites/{siteId}/companies/{companyId}': { expect: REFUSED },
    'GET /api/v1/sites/{siteId}/roster': { expect: REFUSED },
    'PUT /api/v1/sites/{siteId}/roster': {
      body: { entries: [{ workerId: a.worker, position: 'foreman' }], removeUnlisted: true },
      expect: REFUSED,
    },
    'PUT /api/v1/sites/{siteId}/roster/{workerId}': { body: { position: 'foreman' }, expect: REFUSED },
    'DELETE /api/v1/sites/{siteId}/roster/{workerId}': { expect: REFUSED },
    'GET /api/v1/sites/{siteId}/ccus/roster': { expect: REFUSED },
    'POST /api/v1/sites/{siteId}/ccus/roster/import': { body: { digest: 'x' }, expect: REFUSED },
    'POST /api/v1/sites/{siteId}/ccus/registration': { body: {}, expect: REFUSED },
    'GET /api/v1/terminals': { expect: LIST },
    'GET /api/v1/terminals/{terminalId}': { expect: REFUSED },
    'PUT /api/v1/terminals/{terminalId}/settings': { body: settings, expect: REFUSED },
    'POST /api/v1/terminals/{terminalId}/commands': { body: { command: 'selftest' }, expect: REFUSED },
    'GET /api/v1/workers': { expect: LIST },
    // B may keep the same CCUS worker on its own books; that creates B's entry and tells B nothing of A's.
    'POST /api/v1/workers': { body: { workerId: a.worker, name: 'taken over' }, expect: OWN_BOOKS },
    // A preview: B's own books would get the worker; nothing of A's is shown or changed.
    'POST /api/v1/workers/import': { body: { workers: [{ workerId: a.worker, name: 'taken over' }] }, expect: LIST },
    'GET /api/v1/workers/{workerId}': { expect: REFUSED },
    'PATCH /api/v1/workers/{workerId}': { body: { name: 'taken over' }, expect: REFUSED },
    'DELETE /api/v1/workers/{workerId}': { expect: REFUSED },
    'POST /api/v1/workers/{workerId}/enrol': { body: { terminalId: a.terminalId }, expect: REFUSED },
    'POST /api/v1/workers/{workerId}/cards': { body: { card: a.unknownCard.id }, expect: REFUSED },
    'POST /api/v1/workers/{workerId}/links': { body: { days: 30 }, expect: REFUSED },
    // B's own links for that worker ID: none, and nothing of A's.
    'GET /api/v1/workers/{workerId}/links': { expect: LIST },
    'DELETE /api/v1/worker-links/{id}': { expect: REFUSED },
    'GET /api/v1/workers/{workerId}/levels': { expect: REFUSED },
    // B's own workers' levels: nothing of A's.
    'GET /api/v1/levels': { expect: LIST },
    'GET /api/v1/exports/levels': { expect: LIST },
    'GET /api/v1/alert-subscriptions': { expect: LIST },
    // B's own subscription: allowed, and nothing of A's.
    'POST /api/v1/alert-subscriptions': {
      body: { channel: 'email', target: 'b-office@example.jp' },
      expect: { status: [201], ownData: true },
    },
    'DELETE /api/v1/alert-subscriptions/{id}': { expect: REFUSED },
    'DELETE /api/v1/cards/{tech}/{id}': { expect: REFUSED },
    'GET /api/v1/unknown-cards': { expect: LIST },
    'GET /api/v1/taps': { expect: LIST },
    'GET /api/v1/records': { expect: LIST },
    'GET /api/v1/alerts': { expect: LIST },
    'GET /api/v1/records/at-risk': { expect: LIST },
    'GET /api/v1/records/{siteId}/{workerId}/{workingDay}': { expect: REFUSED },
    'GET /api/v1/records/{siteId}/{workerId}/{workingDay}/taps': { expect: REFUSED },
    'POST /api/v1/records/{siteId}/{workerId}/{workingDay}/retry': { expect: REFUSED },
    'GET /api/v1/outbox': { expect: LIST },
    'GET /api/v1/corrections': { expect: LIST },
    'GET /api/v1/approvals': { expect: LIST },
    'POST /api/v1/corrections': {
      body: {
        kind: 'set_times',
        siteId: a.siteId,
        workerId: a.worker,
        workingDay: '2026-11-20',
        lastOut: '2026-11-20T18:00:00+09:00',
        reason: 'x',
      },
      expect: REFUSED,
    },
    'GET /api/v1/corrections/{id}': { expect: REFUSED },
    'POST /api/v1/corrections/{id}/approve': { body: {}, expect: REFUSED },
    'POST /api/v1/corrections/{id}/reject': { body: { reason: 'no' }, expect: REFUSED },
    'GET /api/v1/audit': { expect: LIST },
    'GET /api/v1/quarantine': { expect: LIST },
    'GET /api/v1/exports/kentaikyo': { expect: LIST },
    'GET /api/v1/exports/records': { expect: LIST },
  };
}

/** Everything in the database but B's own tokens, users and audit lines, each table's rows sorted. */
async function snapshot(f: ApiFixture<StoreEngine>): Promise<string> {
  const { engine } = f.store;
  const tables = (
    await engine.run(
      rows<{ name: string }>(
        (engine.kind === 'sqlite'
          ? sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
          : sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`
        ).compile(engine.db),
      ),
    )
  )
    .map((t) => t.name)
    .filter((name) => !['api_tokens', 'audit_log'].includes(name));
  // B's own users and books are B's to change.
  const own = ['users', 'workers', 'cards', 'site_roster', 'alert_subscriptions'];
  const whole: [string, string[]][] = [];
  for (const name of tables) {
    const query = own.includes(name)
      ? sql`SELECT * FROM ${sql.table(name)} WHERE tenant_id <> 'tenant-b'`
      : sql`SELECT * FROM ${sql.table(name)}`;
    const found = await engine.run(rows(query.compile(engine.db)));
    whole.push([name, found.map((row) => JSON.stringify(row)).sort()]);
  }
  return JSON.stringify(whole);
}

describe.each(ENGINES)('tenant isolation, on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture<StoreEngine>;
  let correctionId: number;
  let aLinkId: number;
  let aSubscriptionId: number;
  let aUserId: string;
  let routes: string[];

  beforeAll(async () => {
    dir = tempDir('isolation');
    f = await apiFixtureOn(kind, dir.path, kind === 'postgres' ? { postgresUrl: await engines.postgresUrl() } : {});
    aUserId = (
      await f.store.directory.createUser(f.a.tenantId, {
        login: 'a-person',
        name: 'A の人',
        role: 'admin',
        passwordHash: 'scrypt$not-used-here',
      })
    ).userId;
    // A subcontractor's manual entry waiting for A's approval, so the approval routes have a target.
    const response = await f.call(f.sub.admin, 'POST', '/api/v1/corrections', {
      kind: 'add_day',
      siteId: f.a.siteId,
      workerId: f.sub.worker,
      workingDay: '2026-11-21',
      firstIn: '2026-11-21T08:00:00+09:00',
      lastOut: '2026-11-21T17:00:00+09:00',
      reason: 'forgot the card',
    });
    expect(response.status).toBe(201);
    correctionId = ((await response.json()) as { correction: { id: number; state: string } }).correction.id;
    // A's worker holds a personal link: B must neither see it nor revoke it.
    const issued = await f.call(f.a.admin, 'POST', `/api/v1/workers/${f.a.worker}/links`, {});
    aLinkId = ((await issued.json()) as { link: { id: number } }).link.id;
    const subscribed = await f.call(f.a.admin, 'POST', '/api/v1/alert-subscriptions', {
      channel: 'webhook',
      target: 'https://a-office.example/alerts',
    });
    aSubscriptionId = ((await subscribed.json()) as { subscription: { id: number } }).subscription.id;
    const doc = (await (await f.app.request('/api/openapi.json')).json()) as { paths: Record<string, object> };
    routes = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
  });

  afterAll(async () => {
    await f.close();
    dir.remove();
    await engines.close();
  });

  it('has an attempt for every route the server documents', () => {
    const known = attempts(f);
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((route) => !(route in known))).toEqual([]);
  });

  it("shows tenant B nothing of tenant A's and lets B change nothing of A's, on every route", async () => {
    const known = attempts(f);
    const params: Record<string, string> = {
      siteId: f.a.siteId,
      workerId: f.a.worker,
      terminalId: f.a.terminalId,
      tenantId: f.a.tenantId,
      companyId: f.sub.companyId,
      id: String(correctionId),
      workingDay: '2026-11-20',
      tech: f.a.card.tech,
      userId: aUserId,
      version: '1.0.0',
    };
    // Identifiers of A's that must never appear in anything B is shown.
    const aToken = (await f.store.directory.tokens(f.a.tenantId))[0]?.id as string;
    const secrets = [
      f.a.siteId,
      f.a.worker,
      f.a.terminalId,
      f.a.card.id,
      f.a.unknownCard.id,
      f.sub.worker,
      '技能者 a',
      aToken,
      aUserId,
      'a-person',
    ];
    const failures: string[] = [];
    // What B itself has sent so far: B's own audit trail may name it back.
    const told = new Set<string>();
    for (const route of routes) {
      const attempt = known[route] as Attempt;
      const [method, template] = route.split(' ') as [string, string];
      let path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (template.includes('/cards/') && name === 'id') return f.a.card.id;
        if (template.includes('/tokens/') && name === 'id') return aToken;
        if (template.includes('/worker-links/') && name === 'id') return String(aLinkId);
        if (template.includes('/alert-subscriptions/') && name === 'id') return String(aSubscriptionId);
        return encodeURIComponent(params[name] as string);
      });
      if (route.startsWith('GET /api/v1/exports/')) path += '?month=2026-11';
      const before = await snapshot(f);
      const response = await f.call(f.b.admin, method, path, attempt.body);
      const text = await response.text();
      if (!attempt.expect.status.includes(response.status)) {
        failures.push(`${route}: ${response.status} ${text.slice(0, 200)}`);
        continue;
      }
      // An error may name what B itself asked for; anything else of A's is a leak.
      const asked = [...told, path + JSON.stringify(attempt.body ?? '')].join(' ');
      const leaked = secrets.filter((secret) => text.includes(secret) && !asked.includes(secret));
      if (leaked.length > 0) failures.push(`${route}: shows ${leaked.join(', ')}`);
      if ((await snapshot(f)) !== before) failures.push(`${route}: changed the database`);
      if (attempt.expect.undo) {
        told.add(path + JSON.stringify(attempt.body ?? ''));
        await f.call(f.b.admin, 'DELETE', `/api/v1/workers/${f.a.worker}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('shows each tenant its own data on the same routes, so an empty answer cannot pass for isolation', async () => {
    const own: [string, string][] = [
      ['/api/v1/sites', f.b.siteId],
      ['/api/v1/terminals', f.b.terminalId],
      ['/api/v1/workers', f.b.worker],
      ['/api/v1/taps', f.b.card.id],
      ['/api/v1/records', f.b.worker],
      ['/api/v1/unknown-cards', f.b.unknownCard.id],
      ['/api/v1/outbox', f.b.worker],
      ['/api/v1/exports/records?month=2026-11', f.b.worker],
      ['/api/v1/exports/kentaikyo?month=2026-11', f.b.worker],
    ];
    for (const [path, expected] of own) {
      const response = await f.call(f.b.viewer, 'GET', path);
      expect({ path, status: response.status, has: (await response.text()).includes(expected) }).toEqual({
        path,
        status: 200,
        has: true,
      });
    }
  });

  it("lets a subcontractor see the site and its own employees there, and nothing of the prime contractor's workers", async () => {
    const sites = (await (await f.call(f.sub.admin, 'GET', '/api/v1/sites')).json()) as {
      sites: { siteId: string; access: string }[];
    };
    expect(sites.sites).toEqual([expect.objectContaining({ siteId: f.a.siteId, access: 'sub' })]);
    const records = (await (await f.call(f.sub.admin, 'GET', '/api/v1/records')).json()) as {
      records: { workerId: string }[];
    };
    expect(records.records.map((r) => r.workerId)).toEqual([f.sub.worker]);
    const taps = await (await f.call(f.sub.admin, 'GET', '/api/v1/taps')).text();
    expect(taps).not.toContain(f.a.worker);
    expect(taps).not.toContain(f.a.unknownCard.id);
    const roster = await (await f.call(f.sub.admin, 'GET', `/api/v1/sites/${f.a.siteId}/roster`)).text();
    expect(roster).toContain(f.sub.worker);
    expect(roster).not.toContain(f.a.worker);
    expect((await f.call(f.sub.admin, 'GET', `/api/v1/workers/${f.a.worker}`)).status).toBe(404);
    const approve = await f.call(f.sub.admin, 'POST', `/api/v1/corrections/${correctionId}/approve`, {});
    expect(approve.status).toBe(403);
    const patch = await f.call(f.sub.admin, 'PATCH', `/api/v1/sites/${f.a.siteId}`, { name: 'mine now' });
    expect(patch.status).toBe(403);
  });

  it("answers 404 for another tenant's site or an unknown one on every read filtered by site, exports included", async () => {
    const filtered = [
      '/api/v1/taps',
      '/api/v1/records',
      '/api/v1/records/at-risk',
      '/api/v1/unknown-cards',
      '/api/v1/outbox',
      '/api/v1/exports/records?month=2026-11',
      '/api/v1/exports/kentaikyo?month=2026-11',
    ];
    const withSite = (path: string, siteId: string): string =>
      `${path}${path.includes('?') ? '&' : '?'}siteId=${siteId}`;
    const statuses = async (siteId: string): Promise<number[]> =>
      Promise.all(filtered.map(async (path) => (await f.call(f.b.viewer, 'GET', withSite(path, siteId))).status));
    expect(await statuses(f.a.siteId)).toEqual(filtered.map(() => 404));
    expect(await statuses('20999999999999')).toEqual(filtered.map(() => 404));
    expect(await statuses(f.b.siteId)).toEqual(filtered.map(() => 200));
    const refused = await f.call(f.b.viewer, 'GET', withSite('/api/v1/exports/kentaikyo?month=2026-11', f.a.siteId));
    expect(((await refused.json()) as { field: string }).field).toBe('siteId');
  });

  it('keeps the fleet operator out of tenant data', async () => {
    for (const path of ['/api/v1/records', '/api/v1/workers', '/api/v1/sites', '/api/v1/taps']) {
      expect((await f.call(f.operator, 'GET', path)).status).toBe(403);
    }
  });
});
