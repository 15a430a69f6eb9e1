import { join } from 'node:path';
import { parseTerminalId, type TapBatch } from '@ccus-gate/protocol';
import { type EngineKind, ingestTapBatch, ServerStore, type StoreEngine } from '@ccus-gate/server';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedGate, T1 } from '../support/server-fixture.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tempDir } from '../support/temp-dir.js';

const terminalId = parseTerminalId('gate-a1');
const topic = `ccus/v1/t/${terminalId}/taps`;

function batch(
  taps: { seq: number; card?: string; at?: string }[],
  id = '0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
): TapBatch {
  return {
    v: 1,
    terminalId,
    batchId: id,
    sentAt: '2026-11-24T08:00:00.000+09:00',
    taps: taps.map((t) => ({
      seq: t.seq,
      card: { tech: 'mifare', id: t.card ?? '04A2B3C4' },
      workerId: '880012',
      direction: 'in',
      at: t.at ?? '2026-11-24T07:42:10.000+09:00',
      bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
      mono: 1000 + t.seq,
      clockSynced: true,
      flags: [],
    })),
  } as unknown as TapBatch;
}

describe.each(ENGINES)('tap ingest on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let dir: ReturnType<typeof tempDir>;
  let database: string;
  let store: ServerStore<StoreEngine>;
  /** The server's database, opened as a server (re)starting opens it. */
  const open = async (): Promise<ServerStore<StoreEngine>> =>
    kind === 'postgres' ? await ServerStore.openPostgres(database) : ServerStore.open(database);
  const deps = () => ({ stores: store, log: pino({ level: 'silent' }), now: () => new Date('2026-11-24T00:00:00Z') });
  const send = (payload: string | TapBatch, as = terminalId) =>
    ingestTapBatch(deps(), as, topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)));

  beforeEach(async () => {
    dir = tempDir('ingest');
    database = kind === 'postgres' ? await engines.postgresUrl() : join(dir.path, 'server.db');
    store = await open();
    await seedGate(store, { terminals: [terminalId], workers: [] });
  });

  afterEach(async () => {
    await store.close();
    dir.remove();
  });
  afterAll(() => engines.close());

  it('stores a batch once, acks its range, and acks a replay without storing again', async () => {
    const first = await send(batch([{ seq: 1 }, { seq: 2, card: '04A2B3C5' }]));
    expect(first.ack).toMatchObject({ accepted: { from: 1, to: 2 }, rejected: [], error: null });
    expect(first.inserted).toBe(2);
    const again = await send(batch([{ seq: 1 }, { seq: 2, card: '04A2B3C5' }]));
    expect(again.ack).toMatchObject({ accepted: { from: 1, to: 2 }, rejected: [], error: null });
    expect(again.inserted).toBe(0);
    expect(await store.taps.count(terminalId)).toBe(2);
  });

  it('rejects a tap that reuses a stored sequence number with different content, keeping the first', async () => {
    await send(batch([{ seq: 7 }]));
    const result = await send(batch([{ seq: 7, card: 'DEADBEEF' }, { seq: 8 }]));
    expect(result.ack.accepted).toEqual({ from: 7, to: 8 });
    expect(result.ack.rejected).toEqual([{ seq: 7, reason: 'conflict', message: expect.stringContaining('04A2B3C4') }]);
    expect(await store.taps.count(terminalId)).toBe(2);
  });

  it.each([
    ['not JSON', '{"v":1,', 'malformed'],
    ['an unknown version', JSON.stringify({ ...batch([{ seq: 1 }]), v: 2 }), 'unsupported_version'],
    ['a bad card id', JSON.stringify(batch([{ seq: 1, card: 'XYZ' }])), 'malformed'],
  ])('refuses %s with a reason, quarantines the raw bytes, stores nothing', async (_what, payload, code) => {
    const result = await send(payload);
    expect(result.ack).toMatchObject({ accepted: null, error: { code } });
    expect(result.ack.error?.message.length).toBeGreaterThan(10);
    expect(await store.taps.count(terminalId)).toBe(0);
    const [entry] = await store.quarantineLog.all();
    expect(entry?.head.toString()).toBe(payload);
    expect(entry?.size).toBe(Buffer.byteLength(payload));
    expect(entry?.code).toBe(code);
  });

  it('refuses a batch that names another terminal than its topic', async () => {
    const other = { ...batch([{ seq: 1 }]), terminalId: 'gate-b1' };
    const result = await send(JSON.stringify(other));
    expect(result.ack.error?.code).toBe('wrong_terminal');
    expect(await store.taps.count(terminalId)).toBe(0);
  });

  it('builds one record per worker, site and working day; an exit after midnight stays on its day', async () => {
    await send(
      batch([
        { seq: 1, at: '2026-11-24T20:00:00.000+09:00' },
        { seq: 2, at: '2026-11-25T02:30:00.000+09:00' },
      ]),
    );
    // Queued with the taps, built after the ack; a crash in between loses nothing.
    expect(await store.queries.records(T1, { limit: 10, offset: 0 })).toHaveLength(0);
    expect(await store.records.queued()).toBe(1);
    await store.close();
    store = await open();
    expect(await store.records.rebuildQueued()).toHaveLength(1);
    expect(await store.records.queued()).toBe(0);
    const records = await store.queries.records(T1, { limit: 10, offset: 0 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ workingDay: '2026-11-24', tapCount: 2, deadline: '2026-12-31' });
  });

  it('creates nothing new from duplicate, re-ordered or replayed batches', async () => {
    const early = batch([{ seq: 1 }, { seq: 2, card: '04A2B3C5' }], '0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a51');
    const late = batch(
      [
        { seq: 3, at: '2026-11-24T17:00:00.000+09:00' },
        { seq: 4, card: '04A2B3C5', at: '2026-11-24T17:01:00.000+09:00' },
      ],
      '0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a52',
    );
    // The later batch arrives first (a retry overtook it), then the earlier one, then both again.
    expect((await send(late)).inserted).toBe(2);
    expect((await send(early)).inserted).toBe(2);
    await store.records.rebuildQueued();
    const records = async () => await store.queries.records(T1, { limit: 10, offset: 0 });
    const built = await records();
    expect(built.map((r) => r.tapCount)).toEqual([4]);
    for (const again of [late, early, late, { ...early, batchId: '0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a53' }]) {
      const result = await send(again);
      expect(result.inserted).toBe(0);
      expect(result.ack).toMatchObject({ error: null, rejected: [] });
    }
    expect(await store.taps.count(terminalId)).toBe(4);
    expect(await store.records.queued()).toBe(0);
    expect(await records()).toEqual(built);
  });
});
