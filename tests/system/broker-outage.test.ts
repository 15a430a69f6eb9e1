import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

/** The broker goes away for a shift's worth of taps, then comes back. */
describe('a broker outage', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let t: TestTerminal;

  beforeEach(async () => {
    dir = tempDir('outage');
    server = await startSyncServer(dir.path);
  });

  afterEach(async () => {
    await t?.stop();
    await server.close();
    dir.remove();
  });

  it('drains the backlog in order with no duplicates, while new taps are still answered', async () => {
    const clock = testClock('2026-11-24T01:00:00Z');
    t = await startTestTerminal({
      dir: dir.path,
      ...server.terminalConnection(),
      clock,
      roster: server.roster(),
      ackTimeoutMs: 2_000,
    });
    await waitFor('connected', () => t.terminal.sync.connected);
    const ranges: { from: number; to: number; inserted: number }[] = [];
    server.server.on('batch', ({ result }) => {
      if (result.ack.accepted !== null) ranges.push({ ...result.ack.accepted, inserted: result.inserted });
    });

    await server.stopBroker();
    await waitFor('the terminal to notice', () => !t.terminal.sync.connected);
    const cards = server.workers.map((w) => w.card.id);
    const BACKLOG = 3_000;
    for (let i = 0; i < BACKLOG; i++) {
      clock.advance(1_000);
      expect(t.tap(cards[i % cards.length] as string)).toMatchObject({ offline: true });
    }
    expect(t.store.counts().pending).toBe(BACKLOG);

    await server.startBroker();
    // Taps keep coming while the backlog drains; each is answered as it is read.
    const during: string[] = [];
    await waitFor('the backlog drained', () => {
      clock.advance(100);
      if (during.length < 20) during.push(t.tap(cards[during.length % cards.length] as string).kind);
      return t.store.counts().pending === 0 && during.length === 20;
    });
    expect(during.every((kind) => kind === 'entry' || kind === 'exit')).toBe(true);

    const total = BACKLOG + during.length;
    expect(t.store.counts()).toMatchObject({ pending: 0, delivered: total, rejected: 0 });
    expect(server.store.taps.count(server.terminalId)).toBe(total);
    // Every sequence number stored exactly once, and batches arrived in sequence order: each new
    // range starts where the last one ended (ranges inserting nothing are resends of the same taps).
    expect(ranges.reduce((sum, r) => sum + r.inserted, 0)).toBe(total);
    let next = 1;
    for (const range of ranges.filter((r) => r.inserted > 0)) {
      expect(range.from).toBeLessThanOrEqual(next);
      expect(range.to).toBeGreaterThanOrEqual(next);
      next = range.to + 1;
    }
    expect(next).toBe(total + 1);
    const seqs = (server.store.queries.taps(T1, { limit: total + 10, offset: 0 }) as { seq: number }[])
      .map((tap) => tap.seq)
      .sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Records were built after the taps (the builder steps aside while batches stream in) and
    // catch up once the stream pauses: one per worker for this one working day.
    await waitFor('records built', () => server.store.records.queued() === 0);
    const records = server.store.queries.records(T1, { limit: 10, offset: 0 });
    expect(records.map((r) => r.tapCount).reduce((a, b) => a + b, 0)).toBe(total);
    expect(records).toHaveLength(server.workers.length);
  });
});
