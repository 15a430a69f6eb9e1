import { createHash } from 'node:crypto';
import { type EngineKind, QuarantineLog, type QuarantinePolicy, rows } from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../../support/api-fixture.js';
import { ENGINES, StoreEngines } from '../../support/store-engines.js';
import { tempDir } from '../../support/temp-dir.js';

interface Page {
  quarantine: { clientId: string; tenantId: string | null; size: number; sha256: string; headBase64: string }[];
  nextOffset: number | null;
  dropped: { clientId: string; messages: number; bytes: number }[];
}

const refused = (clientId: string, payload: Buffer, topic = `ccus/v1/t/${clientId}/taps`) => ({
  topic,
  clientId,
  code: 'malformed',
  reason: 'not JSON',
  payload,
});

/** What is kept, and the quotas, on both engines through the same store code. */
describe.each(ENGINES)('quarantine on %s: what is kept of a refused message', (kind: EngineKind) => {
  const engines = new StoreEngines();
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());
  const quarantine = async (policy: Partial<QuarantinePolicy> = {}) => {
    const engine = await engines.open(kind, () => new Date('2026-11-24T00:00:00Z'));
    return { engine, log: new QuarantineLog(engine, policy) };
  };

  it('keeps the reason, size, SHA-256 and the first 4 KiB, never the whole payload', async () => {
    const { engine, log } = await quarantine();
    const payload = Buffer.alloc(50 * 1024 * 1024, 'x');
    expect(await log.keep(refused('gate-q1', payload))).toBeGreaterThan(0);
    const [entry] = await log.all();
    expect(entry).toMatchObject({ code: 'malformed', reason: 'not JSON', size: payload.length, clientId: 'gate-q1' });
    expect(entry?.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(entry?.head.length).toBe(4096);
    const [stored] = await engine.run(
      rows(engine.db.selectFrom('quarantine').select((eb) => eb.fn.sum<number>(eb.fn('length', ['head'])).as('n'))),
    );
    expect(Number(stored?.n)).toBe(4096);
  });

  it('keeps each terminal within its quota, dropping its own oldest first and counting them', async () => {
    const { log: small } = await quarantine({ perClientMessages: 10, perClientBytes: 1024 * 1024, headBytes: 100 });
    await small.keep(refused('gate-other', Buffer.from('keep me')));
    for (let i = 0; i < 25; i++) await small.keep(refused('gate-noisy', Buffer.from(`message ${i}`)));
    const noisy = (await small.all()).filter((q) => q.clientId === 'gate-noisy');
    expect(noisy.map((q) => q.head.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i + 15}`));
    expect((await small.all()).filter((q) => q.clientId === 'gate-other')).toHaveLength(1);
    expect(await small.dropped(null)).toEqual([expect.objectContaining({ clientId: 'gate-noisy', messages: 15 })]);
    expect((await small.page(null, { limit: 3, offset: 0 })).map((q) => q.head.toString())).toEqual([
      'message 24',
      'message 23',
      'message 22',
    ]);

    // Bytes too: large heads push out the oldest even under the message count.
    const { log: bytesCapped } = await quarantine({ perClientMessages: 1000, perClientBytes: 2000, headBytes: 1000 });
    for (let i = 0; i < 5; i++) await bytesCapped.keep(refused('gate-big', Buffer.alloc(900, 'b')));
    const kept = await bytesCapped.all();
    expect(kept.reduce((sum, q) => sum + q.head.length, 0)).toBeLessThanOrEqual(2000);
    expect(kept.length).toBe(2);
  });
});

describe('quarantine over the API', () => {
  const dir = tempDir('quarantine-api');
  let f: ApiFixture;
  beforeEach(() => {
    f = apiFixture(dir.path);
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  const page = async (token: string, query = ''): Promise<Page> => {
    const response = await f.call(token, 'GET', `/api/v1/quarantine${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Page;
  };

  it('belongs to the lease in force when it came: a terminal moved to another tenant takes none of it along', async () => {
    f.store.quarantineLog.keep(
      refused(f.a.terminalId, Buffer.from(`{"card":"${f.a.card.id}","worker":"${f.a.worker}"}`)),
    );
    const moved = await f.call(f.operator, 'PUT', `/api/v1/fleet/terminals/${f.a.terminalId}/lease`, {
      tenantId: f.b.tenantId,
      siteId: f.b.siteId,
    });
    expect(moved.status).toBe(200);
    f.store.quarantineLog.keep(refused(f.a.terminalId, Buffer.from('under B')));

    const seenByB = await page(f.b.viewer);
    expect(seenByB.quarantine.map((q) => Buffer.from(q.headBase64, 'base64').toString())).toEqual(['under B']);
    expect(JSON.stringify(seenByB)).not.toContain(f.a.card.id);
    const seenByA = await page(f.a.viewer);
    expect(seenByA.quarantine.map((q) => q.tenantId)).toEqual([f.a.tenantId]);
    const operator = (await (await f.call(f.operator, 'GET', '/api/v1/fleet/quarantine')).json()) as Page;
    expect(operator.quarantine).toHaveLength(2);
  });

  it("shows a re-leased terminal's new tenant no status the terminal reported for the previous one", async () => {
    f.store.directory.setTerminalStatus(f.a.terminalId, { pendingTaps: 12, lastError: `card ${f.a.card.id}` });
    f.now.value = new Date(f.now.value.getTime() + 60_000);
    await f.call(f.operator, 'PUT', `/api/v1/fleet/terminals/${f.a.terminalId}/lease`, {
      tenantId: f.b.tenantId,
      siteId: f.b.siteId,
    });
    const seen = await (await f.call(f.b.viewer, 'GET', `/api/v1/terminals/${f.a.terminalId}`)).text();
    expect(JSON.parse(seen)).toMatchObject({ terminal: { status: null, statusAt: null } });
    expect(seen).not.toContain(f.a.card.id);
    expect(await (await f.call(f.b.viewer, 'GET', '/api/v1/terminals')).text()).not.toContain(f.a.card.id);
    f.now.value = new Date(f.now.value.getTime() + 60_000);
    f.store.directory.setTerminalStatus(f.a.terminalId, { pendingTaps: 0 });
    const later = (await (await f.call(f.b.viewer, 'GET', `/api/v1/terminals/${f.a.terminalId}`)).json()) as {
      terminal: { status: unknown };
    };
    expect(later.terminal.status).toEqual({ pendingTaps: 0 });
  });

  it('bounds every page in bytes as well as rows, and says where the next page starts', async () => {
    for (let i = 0; i < 600; i++) {
      f.store.quarantineLog.keep(refused(f.a.terminalId, Buffer.alloc(64 * 1024, String(i % 10))));
    }
    const first = await f.call(f.a.viewer, 'GET', '/api/v1/quarantine?limit=1000');
    const text = await first.text();
    expect(text.length).toBeLessThan(1.1 * 1024 * 1024);
    const body = JSON.parse(text) as Page;
    expect(body.quarantine.length).toBeGreaterThan(100);
    const kept = f.store.quarantineLog.all().length; // within the terminal's 2 MiB quota
    expect(body.quarantine.length).toBeLessThan(kept);
    expect(body.nextOffset).toBe(body.quarantine.length);
    let seen = body.quarantine.length;
    let next = body.nextOffset;
    while (next !== null) {
      const more = await page(f.a.viewer, `?limit=1000&offset=${next}`);
      seen += more.quarantine.length;
      next = more.nextOffset;
    }
    expect(seen).toBe(kept);
  });

  it('tells a tenant how many of its terminals’ messages the quota dropped, and not another tenant’s', async () => {
    for (let i = 0; i < 1005; i++) f.store.quarantineLog.keep(refused(f.a.terminalId, Buffer.from(`m${i}`)));
    const seenByA = await page(f.a.viewer, '?limit=1');
    expect(seenByA.dropped).toEqual([expect.objectContaining({ clientId: f.a.terminalId, messages: 5 })]);
    expect((await page(f.b.viewer)).dropped).toEqual([]);
  });
});
