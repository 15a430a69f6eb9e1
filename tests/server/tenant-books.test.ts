import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * One company's workers and cards are its own: the same CCUS worker on two tenants' books, and a
 * card bound by one tenant resolving taps only at the sites that tenant sees.
 */
describe("each tenant's own books of workers and cards", () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  const get = async (token: string, path: string) =>
    (await f.call(token, 'GET', path)).json() as Promise<Record<string, unknown>>;

  beforeEach(() => {
    dir = tempDir('tenant-books');
    f = apiFixture(dir.path);
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  it('lets a second employer register a worker another tenant has, each seeing only its own entry', async () => {
    const added = await f.call(f.b.admin, 'POST', '/api/v1/workers', {
      workerId: f.a.worker,
      name: 'B の 呼び名',
      trades: ['鳶'],
    });
    expect(added.status).toBe(201);
    expect(await added.text()).not.toContain('技能者 a');
    expect(await get(f.b.admin, `/api/v1/workers/${f.a.worker}`)).toMatchObject({
      worker: { name: 'B の 呼び名', trades: ['鳶'], cards: [] },
    });
    expect(await get(f.a.admin, `/api/v1/workers/${f.a.worker}`)).toMatchObject({
      worker: { name: '技能者 a', trades: ['とび'], cards: [{ id: f.a.card.id }] },
    });
    // Registering it twice on one's own books is the conflict, and says so.
    const again = await f.call(f.b.admin, 'POST', '/api/v1/workers', { workerId: f.a.worker, name: 'x' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("this tenant's books");
    // B removing its entry leaves A's as it was.
    expect((await f.call(f.b.admin, 'DELETE', `/api/v1/workers/${f.a.worker}`)).status).toBe(200);
    expect(await get(f.a.admin, `/api/v1/workers/${f.a.worker}`)).toMatchObject({ worker: { name: '技能者 a' } });
  });

  it("never lets a card B bound turn A's taps at A's site into B's worker's record", async () => {
    // B binds A's card to B's own worker (a typo, or the worker also works for B).
    const bound = await f.call(f.b.admin, 'POST', `/api/v1/workers/${f.b.worker}/cards`, { card: f.a.card.id });
    expect(bound.status).toBe(201);
    // At A's site, A's terminal: still A's worker.
    f.tap(f.a.terminalId, [{ card: f.a.card, workerId: null, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' }]);
    const aRecord = f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-23' });
    expect(aRecord).toMatchObject({ firstIn: '2026-11-23T08:00:00.000+09:00' });
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.b.worker, workingDay: '2026-11-23' }),
    ).toBeNull();
    // At B's site, B's terminal: B's worker, as B bound it.
    f.tap(f.b.terminalId, [{ card: f.a.card, workerId: null, direction: 'in', at: '2026-11-23T09:00:00.000+09:00' }]);
    expect(
      f.store.queries.recordByKey({ siteId: f.b.siteId, workerId: f.b.worker, workingDay: '2026-11-23' }),
    ).toMatchObject({ firstIn: '2026-11-23T09:00:00.000+09:00' });
    // Each terminal's roster resolves the card its own tenant's way.
    expect(f.store.directory.rosterFor(f.a.siteId).entries).toContainEqual({ card: f.a.card, workerId: f.a.worker });
    expect(f.store.directory.rosterFor(f.b.siteId).entries).toContainEqual({ card: f.a.card, workerId: f.b.worker });
    // And A sees nothing of B's binding.
    const aWorkers = JSON.stringify(await get(f.a.admin, '/api/v1/workers?limit=100'));
    expect(aWorkers).not.toContain(f.b.worker);
  });

  it("leaves a card only another tenant bound unknown at this tenant's site, for this tenant to bind", async () => {
    await f.call(f.b.admin, 'POST', `/api/v1/workers/${f.b.worker}/cards`, { card: '0A0B0C0D' });
    f.tap(f.a.terminalId, [
      {
        card: { tech: 'mifare', id: '0A0B0C0D' } as never,
        workerId: null,
        direction: 'in',
        at: '2026-11-23T08:00:00.000+09:00',
      },
    ]);
    const unknown = JSON.stringify(await get(f.a.viewer, `/api/v1/unknown-cards?siteId=${f.a.siteId}`));
    expect(unknown).toContain('0A0B0C0D');
    expect(unknown).not.toContain(f.b.worker);
  });
});
