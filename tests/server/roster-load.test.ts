import { parseWorkerId, type WorkerId } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

interface Problem {
  status: number;
  detail: string;
  field?: string;
}

/** Site rosters one place at a time and all at once, as a contractor's import would load them. */
describe('site roster changes', () => {
  const dir = tempDir('roster-load');
  let f: ApiFixture;
  const ids = (n: number, from = 0): WorkerId[] =>
    Array.from({ length: n }, (_, i) => parseWorkerId(String(30_000_000_000_000 + from + i)));

  beforeEach(() => {
    f = apiFixture(dir.path);
    f.store.db.transaction(() => {
      for (const workerId of ids(3000)) {
        f.store.directory.addWorker({ workerId, tenantId: f.a.tenantId, name: `技能者 ${workerId}`, trades: ['とび'] });
      }
    });
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  const load = (token: string, siteId: string, body: unknown) =>
    f.call(token, 'PUT', `/api/v1/sites/${siteId}/roster`, body);
  const rosterOf = async (siteId: string): Promise<{ workerId: string; position: string | null }[]> =>
    (
      (await (await f.call(f.a.viewer, 'GET', `/api/v1/sites/${siteId}/roster`)).json()) as {
        roster: { workerId: string; position: string | null }[];
      }
    ).roster;

  it('answers a change to one place with that place alone, however long the roster', async () => {
    const loaded = await load(f.a.admin, f.a.siteId, { entries: ids(2000).map((workerId) => ({ workerId })) });
    expect(loaded.status).toBe(200);
    const [one] = ids(1, 5);
    const put = await f.call(f.a.admin, 'PUT', `/api/v1/sites/${f.a.siteId}/roster/${one}`, { position: 'foreman' });
    const text = await put.text();
    expect(put.status).toBe(200);
    expect(JSON.parse(text)).toEqual({
      entry: expect.objectContaining({ workerId: one, position: 'foreman', name: `技能者 ${one}` }),
    });
    expect(text.length).toBeLessThan(1000);
    const removed = await f.call(f.a.admin, 'DELETE', `/api/v1/sites/${f.a.siteId}/roster/${one}`);
    expect(await removed.json()).toEqual({ removed: expect.objectContaining({ workerId: one, position: 'foreman' }) });
    expect((await rosterOf(f.a.siteId)).some((entry) => entry.workerId === one)).toBe(false);
  });

  it('loads a whole roster at once: counted, one new roster version for the terminals, records requeued', async () => {
    const version = f.store.directory.rosterFor(f.a.siteId).version;
    const kicks = f.effects.recordKicks;
    const body = { entries: ids(3000).map((workerId) => ({ workerId, trade: 'とび', workContent: '足場組立' })) };
    expect(JSON.stringify(body).length).toBeGreaterThan(64 * 1024); // over the small limit: the bulk one applies
    const first = await load(f.a.admin, f.a.siteId, body);
    expect(await first.json()).toEqual({
      load: { siteId: f.a.siteId, listed: 3000, added: 3000, changed: 0, removed: 0 },
    });
    expect(f.store.directory.rosterFor(f.a.siteId).version).toBe(version + 1);
    expect(f.effects.rosters).toContain(f.a.siteId);
    expect(f.effects.recordKicks).toBe(kicks + 1);
    const again = await load(f.a.admin, f.a.siteId, {
      entries: ids(10).map((workerId) => ({ workerId, position: 'leader' })),
      removeUnlisted: true,
    });
    expect(((await again.json()) as { load: unknown }).load).toEqual({
      siteId: f.a.siteId,
      listed: 10,
      added: 0,
      changed: 10,
      removed: 2991, // 3000 loaded and A's own worker from the fixture; the subcontractor's place stays
    });
    const roster = await rosterOf(f.a.siteId);
    expect(roster.filter((entry) => entry.position === 'leader')).toHaveLength(10);
    const sub = (await (await f.call(f.sub.admin, 'GET', `/api/v1/sites/${f.a.siteId}/roster`)).json()) as {
      roster: { workerId: string }[];
    };
    expect(sub.roster.map((entry) => entry.workerId)).toEqual([f.sub.worker]);
  });

  it('reads a long roster page by page, each bounded, together the whole roster once', async () => {
    await load(f.a.admin, f.a.siteId, { entries: ids(2500).map((workerId) => ({ workerId })) });
    const seen: string[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const page = (await (
        await f.call(f.a.viewer, 'GET', `/api/v1/sites/${f.a.siteId}/roster?offset=${offset}`)
      ).json()) as {
        roster: { workerId: string }[];
        nextOffset: number | null;
      };
      expect(page.roster.length).toBeLessThanOrEqual(1000);
      seen.push(...page.roster.map((entry) => entry.workerId));
      offset = page.nextOffset;
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids(2500)));
    expect(seen).toHaveLength(2500 + 2); // A's own worker and the subcontractor's place
  });

  it('changes nothing when one entry is bad, and names it by its place in the list', async () => {
    const before = JSON.stringify(await rosterOf(f.a.siteId));
    const version = f.store.directory.rosterFor(f.a.siteId).version;
    const entries: { workerId: string; trade?: string }[] = ids(2000).map((workerId) => ({ workerId }));
    const cases: [unknown[], number, string][] = [
      [[...entries.slice(0, 1500), { workerId: '39999999999999' }], 404, 'entries.1500.workerId'],
      [[...entries, entries[7]], 400, 'entries.2000.workerId'],
      [[...entries.slice(0, 12), { workerId: entries[12]?.workerId, trade: '左官' }], 400, 'trade'],
      [[{ workerId: f.b.worker }], 404, 'entries.0.workerId'],
      [[{ workerId: 'not an id' }], 400, 'entries.0.workerId'],
    ];
    for (const [list, status, field] of cases) {
      const response = await load(f.a.admin, f.a.siteId, { entries: list });
      const problem = (await response.json()) as Problem;
      expect({ status: response.status, field: problem.field }, problem.detail).toEqual({ status, field });
      expect(JSON.stringify(await rosterOf(f.a.siteId))).toBe(before);
    }
    expect(f.store.directory.rosterFor(f.a.siteId).version).toBe(version);
  });

  it('lets a subcontractor load only its own employees, and no one load another tenant’s site', async () => {
    const sub = await load(f.sub.admin, f.a.siteId, { entries: [{ workerId: f.sub.worker }, { workerId: ids(1)[0] }] });
    expect(sub.status).toBe(404);
    expect(((await sub.json()) as Problem).field).toBe('entries.1.workerId');
    expect((await load(f.b.admin, f.a.siteId, { entries: [] })).status).toBe(404);
    expect((await load(f.a.viewer, f.a.siteId, { entries: [] })).status).toBe(403);
  });

  it('refuses a roster over the protocol’s limit before loading any of it', async () => {
    const entries = Array.from({ length: 50_001 }, (_, i) => ({ workerId: String(30_000_000_000_000 + i) }));
    const response = await load(f.a.admin, f.a.siteId, { entries });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).field).toBe('entries');
  });
});
