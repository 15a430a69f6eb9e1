import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

interface ServerTap {
  seq: number;
  at: string;
  workingDay: string;
  direction: string;
  terminalDirection: string;
  clockSynced: boolean;
  flags: string[];
}

/**
 * A Pi has no real-time clock: until NTP (or the server) vouches for it, wall time is a
 * guess. Taps keep their monotonic time, so once the clock is trusted they are corrected.
 */
describe('terminal clock', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let t: TestTerminal;
  const [yamada, sato] = [
    { card: '012E4CD3A1B2C3D4', workerId: '10000000000001' },
    { card: '04A2B3C4', workerId: '10000000000002' },
  ] as const;

  const serverTaps = (): ServerTap[] =>
    (server.store.queries.taps(T1, { limit: 1000, offset: 0 }) as unknown as ServerTap[]).sort((a, b) => a.seq - b.seq);
  const recordsBuilt = () => waitFor('records built', () => server.store.records.queued() === 0);
  const record = (workerId: string, workingDay: string) =>
    server.store.queries.recordByKey({ siteId: server.siteId, workerId: workerId as never, workingDay });
  const start = async (clock: ReturnType<typeof testClock>) => {
    t = await startTestTerminal({
      dir: dir.path,
      ...server.terminalConnection(),
      clock,
      roster: server.roster(),
      ackTimeoutMs: 1_000,
      settings: { maintenanceIntervalMs: 50 },
    });
  };

  beforeEach(async () => {
    dir = tempDir('clock');
    server = await startSyncServer(dir.path);
  });

  afterEach(async () => {
    await t?.stop();
    await server.close();
    dir.remove();
  });

  it('corrects the pending taps of an unsynchronised boot from monotonic time once NTP sets the clock', async () => {
    await server.stopBroker();
    // Booted without network: the Pi thinks it is 1 January 2020.
    const clock = testClock('2020-01-01T00:00:00Z', { synced: false });
    await start(clock);
    expect(t.tap(yamada.card)).toMatchObject({ kind: 'entry', offline: true });
    clock.advance(8 * 3600_000);
    expect(t.tap(yamada.card)).toMatchObject({ kind: 'exit', offline: true });
    expect(t.store.tap(1)).toMatchObject({ clockSynced: false, workingDay: '2020-01-01' });

    // Ten minutes after the exit, NTP sets the clock: it is really 2026-11-24 18:10 in Tokyo.
    clock.advance(10 * 60_000);
    clock.jump(Date.parse('2026-11-24T09:10:00Z') - clock.now().getTime());
    clock.setSynced(true);
    await waitFor('the correction', () => t.store.tap(2)?.clockSynced);
    expect(t.store.tap(1)).toMatchObject({
      at: '2026-11-24T01:00:00.000Z',
      workingDay: '2026-11-24',
      clockSynced: true,
      flags: ['toggle', 'clock_corrected'],
    });
    expect(t.store.tap(2)?.at).toBe('2026-11-24T09:00:00.000Z');
    expect(t.store.rawAt(2)).toBe('2020-01-01T08:00:00.000Z');

    await server.startBroker();
    // The terminal may reconnect before the server has subscribed again, and its first batch
    // then goes nowhere: the ack timeout (on the terminal's monotonic clock) sends it again.
    await waitFor('both taps delivered', () => {
      clock.advance(100);
      return t.store.counts().delivered === 2;
    });
    expect(serverTaps()).toMatchObject([
      { seq: 1, at: '2026-11-24T01:00:00.000Z', clockSynced: true, flags: ['toggle', 'clock_corrected'] },
      { seq: 2, at: '2026-11-24T09:00:00.000Z', clockSynced: true, flags: ['toggle', 'clock_corrected'] },
    ]);
    await recordsBuilt();
    expect(record(yamada.workerId, '2026-11-24')).toMatchObject({
      firstIn: '2026-11-24T01:00:00.000Z',
      lastOut: '2026-11-24T09:00:00.000Z',
      // Shown, not held: the times are the terminal's own, re-dated from its monotonic clock.
      flags: ['clock_corrected'],
      ccus: { state: expect.stringMatching(/pending|sending|accepted/) },
    });
    expect(record(yamada.workerId, '2020-01-01')).toBeNull();
  });

  it('counts the clock as synchronised when the server agrees, and the server corrects what went out before', async () => {
    // No NTP marker, but the clock is right to within a second.
    const clock = testClock(new Date(Date.now() - 800).toISOString(), { synced: false });
    await start(clock);
    await waitFor('connected', () => t.terminal.sync.connected);
    t.tap(yamada.card);
    await waitFor('the first tap delivered', () => t.store.counts().delivered === 1);
    expect(serverTaps()[0]).toMatchObject({ seq: 1, clockSynced: false, flags: ['toggle'] });
    expect(t.terminal.status().clock).toEqual({ synced: true, source: 'server' });

    clock.advance(3_000);
    t.tap(sato.card);
    await waitFor('the second tap delivered', () => t.store.counts().delivered === 2);
    const [first, second] = serverTaps();
    expect(second).toMatchObject({ seq: 2, clockSynced: true, flags: ['toggle'] });
    // The server rewrote the first from this boot's offset, which the second tap carries.
    expect(first).toMatchObject({ seq: 1, clockSynced: true, flags: ['toggle', 'clock_corrected'] });
    expect(Date.parse(second?.at ?? '') - Date.parse(first?.at ?? '')).toBe(3_000);
    const day = first?.workingDay ?? '';
    await recordsBuilt();
    expect(record(yamada.workerId, day)?.flags).not.toContain('clock_unsynced');
  });

  it('leaves a boot that never synchronises flagged, and says the clock disagrees with the server', async () => {
    // An hour slow and no NTP: the server's time in each ack disagrees.
    const clock = testClock(new Date(Date.now() - 3600_000).toISOString(), { synced: false });
    await start(clock);
    t.tap(yamada.card);
    await waitFor('delivered', () => t.store.counts().delivered === 1);
    clock.advance(1_000);
    t.tap(sato.card);
    await waitFor('delivered', () => t.store.counts().delivered === 2);
    const status = t.terminal.status();
    expect(status.clock).toEqual({ synced: false, source: 'none' });
    expect(status.lastError).toMatchObject({ code: 'clock_skew' });
    expect(status.lastError?.message).toMatch(/clock is 3\d{3}\.\d s behind the server's/);
    expect(serverTaps().map((tap) => [tap.clockSynced, tap.flags])).toEqual([
      [false, ['toggle']],
      [false, ['toggle']],
    ]);
    const day = serverTaps()[0]?.workingDay ?? '';
    await recordsBuilt();
    expect(record(yamada.workerId, day)?.flags).toContain('clock_unsynced');
  });

  it('never reorders or renumbers taps when the wall clock jumps backwards', async () => {
    const clock = testClock('2026-11-24T01:00:00Z'); // 10:00 in Tokyo
    await start(clock);
    const kinds: string[] = [];
    kinds.push(t.tap(yamada.card).kind);
    clock.advance(60_000);
    kinds.push(t.tap(sato.card).kind);
    clock.advance(60_000);
    clock.jump(-3600_000); // set back an hour, to 09:02
    kinds.push(t.tap(yamada.card).kind);
    clock.advance(60_000);
    kinds.push(t.tap(sato.card).kind);
    // Direction follows the order of taps, not the order of their wall times.
    expect(kinds).toEqual(['entry', 'entry', 'exit', 'exit']);
    await waitFor('all delivered', () => t.store.counts().delivered === 4);
    const taps = serverTaps();
    expect(taps.map((tap) => tap.seq)).toEqual([1, 2, 3, 4]);
    expect(taps.map((tap) => tap.at)).toEqual([
      '2026-11-24T01:00:00.000Z',
      '2026-11-24T01:01:00.000Z',
      '2026-11-24T00:02:00.000Z',
      '2026-11-24T00:03:00.000Z',
    ]);
    expect(taps.map((tap) => tap.terminalDirection)).toEqual(['in', 'in', 'out', 'out']);
    // The server pairs by wall time, which the jump put out of order: a person looks, CCUS waits.
    await recordsBuilt();
    expect(record(yamada.workerId, '2026-11-24')).toMatchObject({
      flags: ['clock_jumped'],
      ccus: { state: 'held' },
    });
  });
});
