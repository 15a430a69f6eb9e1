import {
  CcusOutbox,
  type EngineKind,
  queueRecords,
  RecordRebuild,
  rows,
  type StoreEngine,
  TapStore,
} from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NotedAlone, notingEngine } from '../support/noting-engine.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import {
  GATE_IN,
  GATE_OUT,
  SITE,
  storeTaps,
  type TapSpec,
  WORKER,
  workHistoryBooks,
} from '../support/work-history-books.js';

const BOOTED_AT = Date.parse('2026-09-01T00:00:00Z');

/**
 * Taps to work records to the CCUS outbox on both engines, through the same store code:
 * shifts across midnight, two terminals at one gate, replays and conflicts, a clock put right
 * later, trade and position on every record, who is on site.
 */
describe.each(ENGINES)('work history on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  const clock = { value: new Date('2026-11-24T03:00:00.000Z') };
  let engine: StoreEngine;
  let taps: TapStore;
  let records: RecordRebuild;
  let outbox: CcusOutbox;

  beforeEach(async () => {
    clock.value = new Date('2026-11-24T03:00:00.000Z');
    engine = await engines.open(kind, () => clock.value);
    await engine.transaction(() => workHistoryBooks(engine));
    taps = new TapStore(engine);
    outbox = new CcusOutbox(engine);
    records = new RecordRebuild(engine, outbox.steps);
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  /** Stores the taps as a batch from the terminal, by this server's tap store or another server's (`by`). */
  const store = (terminalId: typeof GATE_IN, specs: TapSpec[], by: TapStore = taps) => storeTaps(by, terminalId, specs);
  const recordsNow = () =>
    engine.run(
      rows(
        engine.db
          .selectFrom('records')
          .select(['working_day', 'first_in', 'last_out', 'tap_count', 'flags', 'trade', 'position'])
          .orderBy('working_day'),
      ),
    );

  it('keeps a night shift across midnight on the day it began, with trade and position, due to CCUS', async () => {
    const stored = await store(GATE_IN, [
      { seq: 1, direction: 'in', at: '2026-11-22T20:00:00.000+09:00' },
      { seq: 2, direction: 'out', at: '2026-11-23T03:30:00.000+09:00' },
    ]);
    expect(stored).toMatchObject({ accepted: { from: 1, to: 2 }, rejected: [], inserted: 2 });
    expect(await records.queued()).toBe(1);
    expect(await records.rebuildQueued()).toEqual([{ siteId: SITE, workerId: WORKER, workingDay: '2026-11-22' }]);
    expect(await records.queued()).toBe(0);
    expect(await recordsNow()).toEqual([
      {
        working_day: '2026-11-22',
        first_in: '2026-11-22T20:00:00.000+09:00',
        last_out: '2026-11-23T03:30:00.000+09:00',
        tap_count: 2,
        flags: '[]',
        trade: 'とび',
        position: 'foreman',
      },
    ]);
    const [due] = await outbox.claimDue(10, 'server-a', 60_000);
    expect(due).toMatchObject({
      workingDay: '2026-11-22',
      trade: 'とび',
      position: 'foreman',
      companyId: '90000000000001',
    });
  });

  it('pairs an entry at one terminal with the exit at another terminal of the same gate', async () => {
    clock.value = new Date('2026-11-23T10:00:00.000+09:00');
    await store(GATE_IN, [{ seq: 1, direction: 'in', at: '2026-11-23T07:55:00.000+09:00' }]);
    await records.rebuildQueued();
    expect(await taps.presence(SITE)).toMatchObject({
      onSite: [{ workerId: WORKER, since: '2026-11-22T22:55:00.000Z', recordDay: '2026-11-23' }],
    });
    await store(GATE_OUT, [{ seq: 1, direction: 'out', at: '2026-11-23T17:05:00.000+09:00' }]);
    await records.rebuildQueued();
    expect(await recordsNow()).toMatchObject([
      {
        working_day: '2026-11-23',
        first_in: '2026-11-23T07:55:00.000+09:00',
        last_out: '2026-11-23T17:05:00.000+09:00',
        tap_count: 2,
      },
    ]);
    const presence = await taps.presence(SITE);
    expect(presence.onSite).toEqual([]);
    // Each snapshot carries a newer version, so a terminal keeps the latest.
    expect(presence.version).toBeGreaterThan(0);
    expect((await taps.presence(SITE)).version).toBeGreaterThan(presence.version);
    expect(await taps.count(GATE_IN)).toBe(1);
  });

  it('stores a batch sent again once, and refuses a different tap under a stored number without storing any of it', async () => {
    const day = [
      { seq: 1, direction: 'in' as const, at: '2026-11-23T08:00:00.000+09:00' },
      { seq: 2, direction: 'out' as const, at: '2026-11-23T17:00:00.000+09:00' },
    ];
    await store(GATE_IN, day);
    expect(await store(GATE_IN, day)).toMatchObject({ rejected: [], inserted: 0, records: [] });
    const conflicting = await store(GATE_IN, [
      { seq: 2, direction: 'in', at: '2026-11-23T18:00:00.000+09:00' },
      { seq: 3, direction: 'out', at: '2026-11-23T19:00:00.000+09:00' },
    ]);
    expect(conflicting.rejected).toEqual([
      expect.objectContaining({
        seq: 2,
        reason: 'conflict',
        message: expect.stringContaining('seq 2 is already stored'),
      }),
    ]);
    expect(conflicting.inserted).toBe(1);
    expect(await taps.count(GATE_IN)).toBe(3);
  });

  it('stores a batch sent again to another server once, with the new taps beside it, and nothing of a refused try', async () => {
    await store(GATE_IN, [
      { seq: 1, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' },
      { seq: 2, direction: 'out', at: '2026-11-23T17:00:00.000+09:00' },
    ]);
    await records.rebuildQueued();
    // The ack was lost and the terminal sent its taps again, with one taken since, to another server.
    const again = await store(
      GATE_IN,
      [
        { seq: 1, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' },
        { seq: 2, direction: 'out', at: '2026-11-23T17:00:00.000+09:00' },
        { seq: 3, direction: 'in', at: '2026-11-24T08:00:00.000+09:00' },
      ],
      new TapStore(engine),
    );
    expect(again).toMatchObject({ rejected: [], inserted: 1, records: [{ workingDay: '2026-11-24' }] });
    expect(await taps.count(GATE_IN)).toBe(3);
    // Only the new tap's day is queued: the first try, refused, left nothing behind.
    expect(await engine.run(rows(engine.db.selectFrom('record_queue').select(['working_day', 'from_ms'])))).toEqual([
      { working_day: '2026-11-24', from_ms: Date.parse('2026-11-24T08:00:00.000+09:00') },
    ]);
    // And a different tap under a stored number is still refused there, the rest stored.
    const conflicting = await store(
      GATE_IN,
      [
        { seq: 3, direction: 'out', at: '2026-11-24T18:00:00.000+09:00' },
        { seq: 4, direction: 'out', at: '2026-11-24T19:00:00.000+09:00' },
      ],
      new TapStore(engine),
    );
    expect(conflicting).toMatchObject({ rejected: [{ seq: 3, reason: 'conflict' }], inserted: 1 });
    expect(await taps.count(GATE_IN)).toBe(4);
  });

  it('moves taps from a clock that was wrong to the day they were taken once the boot syncs', async () => {
    // The terminal booted with its clock at 2020 and had not synchronised: the taps carry that date.
    const mono = (at: string) => Date.parse(at) - BOOTED_AT;
    await store(GATE_IN, [
      {
        seq: 1,
        direction: 'in',
        at: '2020-01-01T08:00:00.000+09:00',
        clockSynced: false,
        mono: mono('2026-11-23T08:00:00.000+09:00'),
      },
    ]);
    await records.rebuildQueued();
    expect((await recordsNow()).map((record) => record.working_day)).toEqual(['2020-01-01']);
    // Sent to another server. A new batch may go in by its INSERT alone, outside a transaction,
    // but not this one: its corrections must commit with it.
    const alone: NotedAlone[] = [];
    await store(
      GATE_IN,
      [{ seq: 2, direction: 'out', at: '2026-11-23T17:00:00.000+09:00' }],
      new TapStore(notingEngine(engine, [], alone)),
    );
    const insertsAlone = alone.filter(({ query }) => /insert into "taps"/i.test(query.sql));
    expect(insertsAlone).toHaveLength(kind === 'postgres' ? 1 : 0);
    for (const { outcome } of insertsAlone) {
      expect((outcome.rows as { seq: number | null }[]).filter((row) => row.seq !== null)).toEqual([]);
    }
    await records.rebuildQueued();
    const after = await recordsNow();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      working_day: '2026-11-23',
      first_in: '2026-11-22T23:00:00.000Z',
      last_out: '2026-11-23T17:00:00.000+09:00',
      tap_count: 2,
    });
    const [first] = await engine.run(
      rows(engine.db.selectFrom('taps').select(['raw_at', 'flags', 'clock_synced']).where('seq', '=', 1)),
    );
    expect(first).toEqual({ raw_at: '2020-01-01T08:00:00.000+09:00', flags: '["clock_corrected"]', clock_synced: 1 });
  });

  it('queues each day a batch changes once, from its earliest change, and nothing for a replay', async () => {
    const queue = () =>
      engine.run(rows(engine.db.selectFrom('record_queue').select(['site_id', 'worker_id', 'working_day', 'from_ms'])));
    const day = { site_id: SITE, worker_id: WORKER, working_day: '2026-11-23' };
    const first = [
      { seq: 1, direction: 'in' as const, at: '2026-11-23T08:00:00.000+09:00' },
      { seq: 2, direction: 'out' as const, at: '2026-11-23T17:00:00.000+09:00' },
    ];
    await store(GATE_IN, first);
    expect(await queue()).toEqual([{ ...day, from_ms: Date.parse(first[0]?.at as string) }]);
    await records.rebuildQueued();
    await store(GATE_IN, first);
    expect(await queue()).toEqual([]);
    // Two later batches before the rebuild: the day stays queued once, from the earlier tap.
    await store(GATE_IN, [{ seq: 3, direction: 'in', at: '2026-11-23T18:00:00.000+09:00' }]);
    await store(GATE_IN, [{ seq: 4, direction: 'out', at: '2026-11-23T17:30:00.000+09:00' }]);
    expect(await queue()).toEqual([{ ...day, from_ms: Date.parse('2026-11-23T17:30:00.000+09:00') }]);
    // A later tap leaves the day's start where it was.
    await store(GATE_IN, [{ seq: 5, direction: 'in', at: '2026-11-23T19:00:00.000+09:00' }]);
    expect(await queue()).toEqual([{ ...day, from_ms: Date.parse('2026-11-23T17:30:00.000+09:00') }]);
    // A change without a time (a correction) asks for the whole day, and no tap narrows it again.
    await engine.transaction(() =>
      queueRecords(engine, [{ siteId: SITE, workerId: WORKER, workingDay: '2026-11-23' }]),
    );
    await store(GATE_IN, [{ seq: 6, direction: 'out', at: '2026-11-23T20:00:00.000+09:00' }]);
    expect(await queue()).toEqual([{ ...day, from_ms: null }]);
  });

  it('corrects the taps a batch carries from before its boot synchronised, by the synchronised tap after them', async () => {
    const mono = (at: string) => Date.parse(at) - BOOTED_AT;
    const stored = await store(GATE_IN, [
      {
        seq: 1,
        direction: 'in',
        at: '2020-01-01T08:00:00.000+09:00',
        clockSynced: false,
        mono: mono('2026-11-23T08:00:00.000+09:00'),
      },
      { seq: 2, direction: 'out', at: '2026-11-23T17:00:00.000+09:00' },
    ]);
    expect(stored.records.map((record) => record.workingDay).sort()).toEqual(['2020-01-01', '2026-11-23']);
    await records.rebuildQueued();
    expect(await recordsNow()).toMatchObject([
      { working_day: '2026-11-23', first_in: '2026-11-22T23:00:00.000Z', tap_count: 2 },
    ]);
  });

  it('re-dates a stored tap once when the terminal sends it again corrected beside a synchronised one', async () => {
    const mono = (at: string) => Date.parse(at) - BOOTED_AT;
    const taken = mono('2026-11-23T08:00:00.000+09:00');
    await store(GATE_IN, [
      { seq: 1, direction: 'in', at: '2020-01-01T08:00:00.000+09:00', clockSynced: false, mono: taken },
    ]);
    // The terminal synchronised and corrected its own copy (sent again, its ack lost), and a
    // new tap of the same boot comes with it. Its boot's offset is off by a second from the
    // terminal's own correction: the correction of the tap sent again is the one kept.
    await store(GATE_IN, [
      { seq: 1, direction: 'in', at: '2026-11-23T08:00:00.000+09:00', mono: taken, flags: ['clock_corrected'] },
      { seq: 2, direction: 'out', at: '2026-11-23T17:00:01.000+09:00', mono: mono('2026-11-23T17:00:00.000+09:00') },
    ]);
    const [first] = await engine.run(
      rows(engine.db.selectFrom('taps').select(['at', 'raw_at', 'clock_synced']).where('seq', '=', 1)),
    );
    expect(first).toEqual({ at: '2026-11-22T23:00:00.000Z', raw_at: '2020-01-01T08:00:00.000+09:00', clock_synced: 1 });
  });
});
