import { createHash } from 'node:crypto';
import { ServerStore } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../../support/api-fixture.js';
import { storeWithSite } from '../../support/server-fixture.js';
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

describe('quarantine: what is kept of a refused message', () => {
  const dir = tempDir('quarantine-keep');
  let store: ServerStore;
  beforeEach(() => {
    store = storeWithSite(dir.path).store;
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('keeps the reason, size, SHA-256 and the first 4 KiB, never the whole payload', () => {
    const payload = Buffer.alloc(50 * 1024 * 1024, 'x');
    store.quarantineLog.keep(refused('gate-q1', payload));
    const [entry] = store.quarantineLog.all();
    expect(entry).toMatchObject({ code: 'malformed', reason: 'not JSON', size: payload.length, clientId: 'gate-q1' });
    expect(entry?.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(entry?.head.length).toBe(4096);
    const stored = store.db.raw.prepare('SELECT sum(length(head)) AS n FROM quarantine').get() as { n: number };
    expect(stored.n).toBe(4096);
  });

  it('keeps each terminal within its quota, dropping its own oldest first and counting them', () => {
    const small = ServerStore.open(`${dir.path}/small.db`, () => new Date('2026-11-24T00:00:00Z'), {
      quarantine: { perClientMessages: 10, perClientBytes: 1024 * 1024, headBytes: 100 },
    });
    try {
      small.quarantineLog.keep(refused('gate-other', Buffer.from('keep me')));
      for (let i = 0; i < 25; i++) small.quarantineLog.keep(refused('gate-noisy', Buffer.from(`message ${i}`)));
      const noisy = small.quarantineLog.all().filter((q) => q.clientId === 'gate-noisy');
      expect(noisy.map((q) => q.head.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i + 15}`));
      expect(small.quarantineLog.all().filter((q) => q.clientId === 'gate-other')).toHaveLength(1);
      expect(small.quarantineLog.dropped(null)).toEqual([
        expect.objectContaining({ clientId: 'gate-noisy', messages: 15 }),
      ]);

      // Bytes too: large heads push out the oldest even under the message count.
      const bytesCapped = ServerStore.open(`${dir.path}/bytes.db`, () => new Date(), {
        quarantine: { perClientMessages: 1000, perClientBytes: 2000, headBytes: 1000 },
      });
      for (let i = 0; i < 5; i++) bytesCapped.quarantineLog.keep(refused('gate-big', Buffer.alloc(900, 'b')));
      const kept = bytesCapped.quarantineLog.all();
      expect(kept.reduce((sum, q) => sum + q.head.length, 0)).toBeLessThanOrEqual(2000);
      expect(kept.length).toBe(2);
      bytesCapped.close();
    } finally {
      small.close();
    }
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
