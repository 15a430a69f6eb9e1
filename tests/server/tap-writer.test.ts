import { LIMITS, parseSiteId, parseTerminalId, type TapBatch, type TerminalId } from '@ccus-gate/protocol';
import {
  type BatchTerminal,
  type EngineKind,
  rows,
  type StoredBatch,
  type StoreEngine,
  TapStore,
  TapWriter,
} from '@ccus-gate/server';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tapBatch } from '../support/tap-batch.js';

const SITE = parseSiteId('20260000000001');
const RULE = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };
const silent = pino({ level: 'silent' });

const gate = (i: number): TerminalId => parseTerminalId(`gate-${i}`);
const at = (terminalId: TerminalId, rule = RULE): BatchTerminal => ({
  terminalId,
  tenantId: 'tenant-a',
  siteId: SITE,
  rule,
  earlier: [],
});

/** `count` taps of unknown cards from the terminal, numbered from `from`. */
const batchOf = (terminalId: TerminalId, from: number, count: number): TapBatch =>
  tapBatch(
    terminalId,
    Array.from({ length: count }, (_, i) => ({
      seq: from + i,
      card: { tech: 'felica', id: `01010101010${String(from + i).padStart(5, '0')}` },
      direction: i % 2 === 0 ? 'in' : 'out',
      at: new Date(Date.parse('2026-11-24T08:00:00.000+09:00') + (from + i) * 1000).toISOString(),
      flags: ['unknown_card'],
    })),
  );

/**
 * Batches that arrive together are stored in one transaction (a commit costs about what a
 * small batch's inserts do), yet each is answered as if stored alone: its own accepted range,
 * its own refusal when the store refuses it, and never an ack for a batch that is not in.
 */
describe.each(ENGINES)('the tap writer on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let engine: StoreEngine;
  let taps: TapStore;

  beforeEach(async () => {
    engine = await engines.open(kind, () => new Date('2026-11-24T03:00:00.000Z'));
    await engine.transaction(() =>
      tenantWithSite(engine, { tenantId: 'tenant-a', companyId: '90000000000001', siteId: SITE }),
    );
    taps = new TapStore(engine);
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  const stored = async (terminalId: TerminalId) => await taps.count(terminalId);

  it('stores batches that come together in one transaction, each answered as its own', async () => {
    const writer = new TapWriter(taps, silent);
    const answers = await Promise.all([1, 2, 3].map((i) => writer.store(at(gate(i)), batchOf(gate(i), 10 * i, i))));
    expect(answers.map((answer) => answer.accepted)).toEqual([
      { from: 10, to: 10 },
      { from: 20, to: 21 },
      { from: 30, to: 32 },
    ]);
    expect(answers.map((answer) => answer.inserted)).toEqual([1, 2, 3]);
    expect([await stored(gate(1)), await stored(gate(2)), await stored(gate(3))]).toEqual([1, 2, 3]);
    if (kind === 'postgres') {
      // The transaction that wrote each row: one for all three batches.
      const writers = await engine.run(
        rows(sql<{ xmin: string }>`SELECT DISTINCT xmin::text AS xmin FROM taps`.compile(engine.db)),
      );
      expect(writers).toHaveLength(1);
    }
    // Sent again (the acks were lost): replays, nothing new.
    const again = await Promise.all([1, 2].map((i) => writer.store(at(gate(i)), batchOf(gate(i), 10 * i, i))));
    expect(again.map((answer) => [answer.inserted, answer.rejected])).toEqual([
      [0, []],
      [0, []],
    ]);
  });

  it('refuses only the batch the store refuses; the others of its group are stored and answered', async () => {
    const writer = new TapWriter(taps, silent);
    // A site whose time zone the server cannot use: its working day cannot be found.
    const broken = at(gate(2), { timeZone: 'Mars/Olympus_Mons', dayBoundary: '04:00' });
    const answers = await Promise.allSettled([
      writer.store(at(gate(1)), batchOf(gate(1), 1, 2)),
      writer.store(broken, batchOf(gate(2), 1, 2)),
      writer.store(at(gate(3)), batchOf(gate(3), 1, 2)),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect([await stored(gate(1)), await stored(gate(2)), await stored(gate(3))]).toEqual([2, 0, 2]);
  });

  it('keeps a group within its size, and stores a batch larger than that alone', async () => {
    const writer = new TapWriter(taps, silent, { maxTaps: 5 });
    const answers: Promise<StoredBatch>[] = [];
    for (let i = 1; i <= 4; i++) answers.push(writer.store(at(gate(i)), batchOf(gate(i), 1, i === 4 ? 8 : 2)));
    expect((await Promise.all(answers)).map((answer) => answer.inserted)).toEqual([2, 2, 2, 8]);
    if (kind === 'postgres') {
      // Two of two taps (four, within five), then the third alone (a sixth would pass five), then the eight.
      const writers = await engine.run(
        rows(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM taps GROUP BY xmin::text ORDER BY min(terminal_id)`.compile(
            engine.db,
          ),
        ),
      );
      expect(writers.map((row) => row.n)).toEqual([4, 2, 8]);
    }
  });

  it('stores each batch in a transaction of its own when groups are off (on a pool), many at once', async () => {
    const writer = new TapWriter(taps, silent, { maxTaps: 0, inFlight: 2 });
    const answers = await Promise.all([1, 2, 3, 4].map((i) => writer.store(at(gate(i)), batchOf(gate(i), 1, 3))));
    expect(answers.map((answer) => answer.inserted)).toEqual([3, 3, 3, 3]);
    if (kind === 'postgres') {
      const writers = await engine.run(
        rows(sql<{ n: number }>`SELECT count(*)::int AS n FROM taps GROUP BY xmin::text`.compile(engine.db)),
      );
      expect(writers.map((row) => row.n)).toEqual([3, 3, 3, 3]);
    }
  });
});

/**
 * On PostgreSQL a batch goes in as one JSON array (one statement text for any number of taps);
 * on SQLite tap by tap. Either way each column is stored as the batch gave it: nulls as nulls,
 * flags as their JSON, numbers as numbers, whatever the batch's size.
 */
describe.each(ENGINES)('a batch stored on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  afterAll(() => engines.close());

  it('keeps every column as given, for one tap and for the most a batch may hold', async () => {
    const engine = await engines.open(kind, () => new Date('2026-11-24T03:00:00.000Z'));
    await engine.transaction(() =>
      tenantWithSite(engine, { tenantId: 'tenant-a', companyId: '90000000000001', siteId: SITE }),
    );
    const taps = new TapStore(engine);
    const big = batchOf(gate(2), 1, LIMITS.tapsPerBatch);
    const one = tapBatch(gate(1), [
      {
        seq: 7,
        card: { tech: 'mifare', id: '04A1B2C3' },
        workerId: null,
        direction: 'out',
        at: '2026-11-24T09:15:00.250Z',
        mono: 9_007_199_254,
        clockSynced: false,
        flags: ['unknown_card', 'toggle'],
      },
    ]);
    expect((await taps.storeBatch(at(gate(1)), one)).inserted).toBe(1);
    expect((await taps.storeBatch(at(gate(2)), big)).inserted).toBe(LIMITS.tapsPerBatch);
    const [row] = await engine.run(
      rows(
        engine.db
          .selectFrom('taps')
          .select(['seq', 'tech', 'card_id', 'terminal_worker_id', 'worker_id', 'direction', 'at', 'at_ms'])
          .select(['working_day', 'record_day', 'mono', 'clock_synced', 'flags', 'received_at'])
          .where('terminal_id', '=', gate(1)),
      ),
    );
    expect(row).toEqual({
      seq: 7,
      tech: 'mifare',
      card_id: '04A1B2C3',
      terminal_worker_id: null,
      worker_id: null,
      direction: 'out',
      at: '2026-11-24T09:15:00.250Z',
      at_ms: Date.parse('2026-11-24T09:15:00.250Z'),
      working_day: '2026-11-24',
      record_day: '2026-11-24',
      mono: 9_007_199_254,
      clock_synced: 0,
      flags: '["unknown_card","toggle"]',
      received_at: '2026-11-24T03:00:00.000Z',
    });
    expect(await taps.count(gate(2))).toBe(LIMITS.tapsPerBatch);
    // Sent again: nothing new, in either size.
    expect((await taps.storeBatch(at(gate(2)), big)).inserted).toBe(0);
    expect((await taps.storeBatch(at(gate(1)), one)).inserted).toBe(0);
    await engines.closeEngines();
  });
});
