import { parseTerminalId, workingDay } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchSender } from '../support/batch-sender.js';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/**
 * The record rules, as terminals exercise them: tap batches over MQTT to the real server, records
 * built from them, and what reaches the CCUS simulator. The site is Asia/Tokyo with its working
 * day from 04:00 and shifts of at most 16 hours.
 */
describe('work records from shifts, over MQTT', () => {
  let dir: ReturnType<typeof tempDir>;
  let h: SyncServerHarness;
  let gate: BatchSender;
  const senders: BatchSender[] = [];
  // A few days back, so every time is in the past and CCUS still takes it.
  const base = workingDay(new Date(Date.now() - 4 * 86_400_000), { timeZone: 'Asia/Tokyo', dayBoundary: '00:00' });
  const day = (offset: number): string =>
    new Date(Date.parse(`${base}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
  /** A moment in Tokyo `offset` calendar days after the base day. */
  const jst = (offset: number, time: string): string => `${day(offset)}T${time}:00.000+09:00`;
  const worker = () => h.workers[0] as SyncServerHarness['workers'][number];
  const record = (workingDayOf: string) =>
    h.store.queries.recordByKey({ siteId: h.siteId, workerId: worker().workerId, workingDay: workingDayOf });
  const built = () => waitFor('records built', () => h.store.records.queued() === 0, 10_000);

  beforeEach(async () => {
    dir = tempDir('shift-records');
    h = await startSyncServer(dir.path);
    gate = await BatchSender.connect(h.url, h.terminalId, h.terminalPassword);
    senders.push(gate);
  });

  afterEach(async () => {
    for (const sender of senders.splice(0)) await sender.close();
    await h.close();
    dir.remove();
  });

  it('keeps a night shift that leaves after the day boundary as one record on the day it began, and sends it once complete', async () => {
    const { card, workerId } = worker();
    await gate.send([{ card, workerId, direction: 'in', at: jst(0, '21:30') }]);
    await gate.send([{ card, workerId, direction: 'out', at: jst(1, '05:30') }]);
    await built();
    expect(record(day(0))).toMatchObject({
      firstIn: jst(0, '21:30'),
      lastOut: jst(1, '05:30'),
      flags: [],
      trade: 'とび',
    });
    expect(record(day(1))).toBeNull();
    const sent = await waitFor('CCUS holds the exit', () =>
      [...h.simulator.records.values()].find((r) => r.exitAt === jst(1, '05:30')),
    );
    expect(sent).toMatchObject({ workingDay: day(0), entryAt: jst(0, '21:30'), trade: 'とび' });
    expect(h.simulator.records.size).toBe(1);
  });

  it('lets an exit close yesterday’s shift only within the maximum length; later, it is an exit with no entry, held', async () => {
    const { card, workerId } = worker();
    await gate.send([
      { card, workerId, direction: 'in', at: jst(0, '08:00') },
      // 23 hours later: not this shift's exit.
      { card, workerId, direction: 'out', at: jst(1, '07:00') },
    ]);
    await built();
    expect(record(day(0))).toMatchObject({ lastOut: null, flags: ['no_exit'] });
    expect(record(day(1))).toMatchObject({ firstIn: null, lastOut: jst(1, '07:00'), flags: ['no_entry'] });
    expect(record(day(1))?.ccus).toMatchObject({ state: 'held', heldReason: expect.stringContaining('no entry') });
  });

  it('makes one complete record for a worker who enters through one toggle terminal and leaves through another', async () => {
    const second = parseTerminalId('gate-test-02');
    const password = h.store.directory.createTerminal({ terminalId: second, tenantId: T1.tenantId, siteId: h.siteId });
    const gate2 = await BatchSender.connect(h.url, second, password);
    senders.push(gate2);
    const { card, workerId } = worker();
    await gate.send([{ card, workerId, direction: 'in', at: jst(0, '08:00'), flags: ['toggle'] }]);
    // The second terminal never saw the entry, so its toggle said "in" too.
    await gate2.send([{ card, workerId, direction: 'in', at: jst(0, '17:00'), flags: ['toggle'] }]);
    await built();
    expect(record(day(0))).toMatchObject({ firstIn: jst(0, '08:00'), lastOut: jst(0, '17:00'), flags: [] });
    const taps = h.store.queries.taps(T1, { siteId: h.siteId, limit: 10, offset: 0 });
    expect(taps.map((tap) => [tap.terminalId, tap.direction])).toEqual([
      [second, 'out'],
      [h.terminalId, 'in'],
    ]);
  });

  it('pairs toggle taps across two terminals and the day boundary, whatever order the batches arrive in', async () => {
    const second = parseTerminalId('gate-test-02');
    const password = h.store.directory.createTerminal({ terminalId: second, tenantId: T1.tenantId, siteId: h.siteId });
    const gate2 = await BatchSender.connect(h.url, second, password);
    senders.push(gate2);
    const { card, workerId } = worker();
    // CCUS is away, so nothing reaches it before the whole night is known.
    h.simulator.failWith({ kind: 'server_error', status: 503 });
    // The exit arrives first (the entry's terminal was offline all night).
    await gate2.send([{ card, workerId, direction: 'in', at: jst(1, '05:30'), flags: ['toggle'] }]);
    await built();
    expect(record(day(1))).toMatchObject({ firstIn: jst(1, '05:30'), flags: ['no_exit'] });
    await gate.send([{ card, workerId, direction: 'in', at: jst(0, '21:30'), flags: ['toggle'] }]);
    await built();
    expect(record(day(0))).toMatchObject({ firstIn: jst(0, '21:30'), lastOut: jst(1, '05:30'), flags: [] });
    expect(record(day(1))).toBeNull();
    h.simulator.recover();
    await waitFor(
      'CCUS holds the night',
      () => h.simulator.records.size === 1 && record(day(0))?.ccus?.state === 'accepted',
      15_000,
    );
    expect([...h.simulator.records.values()]).toMatchObject([{ workingDay: day(0), exitAt: jst(1, '05:30') }]);
  });

  it('flags a record CCUS already holds when its taps move to the day before, for a person to remove there', async () => {
    const { card, workerId } = worker();
    await gate.send([{ card, workerId, direction: 'out', at: jst(1, '05:30') }]);
    await waitFor('CCUS has the lone exit', () => record(day(1))?.ccus?.state === 'held');
    // Held (no entry), so CCUS does not have it: the record simply goes once its exit moves.
    await gate.send([{ card, workerId, direction: 'in', at: jst(0, '21:30') }]);
    await built();
    expect(record(day(1))).toBeNull();
    // An entry CCUS accepted, whose tap a person then moves to the day before: CCUS keeps a stray day.
    await gate.send([{ card, workerId, direction: 'in', at: jst(3, '08:00') }]);
    await waitFor('accepted', () => record(day(3))?.ccus?.state === 'accepted', 15_000);
    h.store.db.raw
      .prepare(`UPDATE taps SET at = ?, at_ms = ?, working_day = ? WHERE at = ?`)
      .run(jst(2, '08:00'), Date.parse(jst(2, '08:00')), day(2), jst(3, '08:00'));
    h.store.db.raw
      .prepare('INSERT INTO record_queue (site_id, worker_id, working_day) VALUES (?, ?, ?), (?, ?, ?)')
      .run(h.siteId, workerId, day(3), h.siteId, workerId, day(2));
    h.store.records.rebuildQueued();
    expect(record(day(3))).toMatchObject({ tapCount: 0, flags: ['withdrawn'], ccus: { state: 'accepted' } });
    expect(record(day(2))).toMatchObject({ firstIn: jst(2, '08:00') });
  });

  it('flags a worker back on site after an exit, and keeps the first exit until a later one comes', async () => {
    const { card, workerId } = worker();
    await gate.send([
      { card, workerId, direction: 'in', at: jst(0, '08:00') },
      { card, workerId, direction: 'out', at: jst(0, '12:00') },
      { card, workerId, direction: 'in', at: jst(0, '13:00') },
    ]);
    await built();
    expect(record(day(0))).toMatchObject({ lastOut: jst(0, '12:00'), flags: ['back_on_site'] });
    await gate.send([{ card, workerId, direction: 'out', at: jst(0, '17:30') }]);
    await built();
    expect(record(day(0))).toMatchObject({ firstIn: jst(0, '08:00'), lastOut: jst(0, '17:30'), flags: [] });
  });

  it('holds a shift longer than the site allows within one working day', async () => {
    const { card, workerId } = worker();
    await gate.send([
      { card, workerId, direction: 'in', at: jst(0, '05:00') },
      { card, workerId, direction: 'out', at: jst(1, '03:00') },
    ]);
    await built();
    expect(record(day(0))).toMatchObject({ flags: ['long_shift'], ccus: { state: 'held' } });
  });

  it('takes a correction on the other reader of a two-reader gate in place of the mistaken tap', async () => {
    const { card, workerId } = worker();
    await gate.send([
      { card, workerId, direction: 'out', at: jst(0, '07:59') },
      { card, workerId, direction: 'in', at: `${day(0)}T07:59:03.000+09:00`, flags: ['reader_correction'] },
    ]);
    await built();
    expect(record(day(0))).toMatchObject({
      firstIn: `${day(0)}T07:59:03.000+09:00`,
      lastOut: null,
      tapCount: 1,
      flags: ['no_exit'],
    });
  });

  it('stores and acks a tap with an impossible time, holds its record, and re-dates nothing with it', async () => {
    const { card, workerId } = worker();
    const boot = '0b5e7a2c-1d3f-4a6b-8c9d-2e4f6a8b0c1d';
    // An unsynchronised tap, then a "synchronised" one from a clock set to the end of time.
    const ack = await gate.send([
      {
        card,
        workerId,
        direction: 'in',
        at: '2020-01-01T00:05:00.000Z',
        clockSynced: false,
        mono: 300_000,
        bootId: boot,
      },
      {
        card,
        workerId,
        direction: 'out',
        at: '9999-12-31T00:00:00.000Z',
        clockSynced: true,
        mono: 600_000,
        bootId: boot,
      },
    ]);
    expect(ack).toMatchObject({ accepted: { from: 1, to: 2 }, rejected: [], error: null });
    await built();
    const taps = h.store.queries.taps(T1, { siteId: h.siteId, limit: 10, offset: 0 });
    expect(taps.find((tap) => tap.seq === 1)).toMatchObject({ at: '2020-01-01T00:05:00.000Z', clockSynced: false });
    expect(taps.find((tap) => tap.seq === 2)).toMatchObject({ clockSynced: false, flags: ['implausible_time'] });
    const impossible = h.store.queries.recordByKey({ siteId: h.siteId, workerId, workingDay: '9999-12-31' });
    expect(impossible).toMatchObject({ flags: ['no_entry', 'implausible_time'], ccus: { state: 'held' } });
    expect(h.store.queries.recordByKey({ siteId: h.siteId, workerId, workingDay: '2020-01-01' })).toMatchObject({
      flags: ['no_exit', 'clock_unsynced'],
      ccus: { state: 'held' },
    });
  });

  it('sends a record at its first tap and at its exit, and coalesces what changes after', async () => {
    const { card, workerId } = worker();
    const submissions = () => [...h.simulator.records.values()].reduce((n, r) => n + r.submissions, 0);
    await gate.send([{ card, workerId, direction: 'in', at: jst(0, '08:00') }]);
    await waitFor('the entry at CCUS', () => record(day(0))?.ccus?.state === 'accepted');
    // A second entry changes nothing CCUS is told.
    await gate.send([{ card, workerId, direction: 'in', at: jst(0, '08:01') }]);
    await gate.send([{ card, workerId, direction: 'out', at: jst(0, '12:00') }]);
    await waitFor('the exit at CCUS', () => [...h.simulator.records.values()][0]?.exitAt === jst(0, '12:00'));
    await gate.send([
      { card, workerId, direction: 'in', at: jst(0, '13:00') },
      { card, workerId, direction: 'out', at: jst(0, '17:00') },
    ]);
    await built();
    // The later exit waits out the coalescing window after the last submission.
    const row = h.store.db.raw
      .prepare('SELECT state, next_attempt_at, last_sent_at FROM ccus_outbox WHERE working_day = ?')
      .get(day(0)) as { state: string; next_attempt_at: string; last_sent_at: string };
    expect(row.state).toBe('pending');
    expect(Date.parse(row.next_attempt_at) - Date.parse(row.last_sent_at)).toBe(10 * 60_000);
    expect(submissions()).toBe(2);
    expect(record(day(0))).toMatchObject({ lastOut: jst(0, '17:00'), tapCount: 5, flags: [] });
  });
});
