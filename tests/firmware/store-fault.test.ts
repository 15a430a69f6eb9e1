import { DEFAULT_PATTERNS } from '@ccus-gate/hardware';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

/** Disk full (a real SQLITE_FULL, from a store capped at 64 KiB): fault, status, recovery. */
describe('a full store', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let t: TestTerminal;

  beforeEach(async () => {
    dir = tempDir('fault');
    server = await startSyncServer(dir.path);
  });

  afterEach(async () => {
    await t?.stop();
    await server.close();
    dir.remove();
  });

  it('shows the fault pattern, reports disk_full, keeps running and recovers by itself once there is room', async () => {
    // The broker is down, so taps pile up until the store is full.
    await server.stopBroker();
    const clock = testClock('2026-11-24T01:00:00Z');
    t = await startTestTerminal({
      dir: dir.path,
      ...server.terminalConnection(),
      clock,
      roster: server.roster(),
      maxBytes: 64 * 1024,
      ackTimeoutMs: 1_000,
      settings: { maintenanceIntervalMs: 50 },
    });
    const cards = server.workers.map((w) => w.card.id);
    let recorded = 0;
    for (let i = 0; i < 5_000; i++) {
      clock.advance(1_000);
      const outcome = t.tap(cards[i % cards.length] as string);
      if (outcome.kind === 'fault') break;
      recorded++;
    }
    const fault = t.outcomes.at(-1);
    expect(fault).toMatchObject({ kind: 'fault', error: { code: 'disk_full' } });
    expect(recorded).toBeGreaterThan(10);

    const status = t.terminal.status();
    expect(status.store).toEqual({ state: 'fault' });
    expect(status.lastError).toMatchObject({ code: 'disk_full' });
    expect(status.queueDepth).toBe(recorded);

    // Still running: another tap is answered with the whole fault pattern (red with the
    // buzzer, three times; no green, gate shut), and nothing stored is lost.
    await waitFor('the first fault pattern to finish', () => !t.outputs.red.on && !t.outputs.buzzer.on);
    const since = Object.fromEntries(Object.entries(t.outputs).map(([name, o]) => [name, o.changes.length]));
    const onEdges = (name: keyof typeof t.outputs) =>
      t.outputs[name].changes.slice(since[name]).filter((c) => c.on).length;
    expect(t.tap(cards[0] as string).kind).toBe('fault');
    const pulses = DEFAULT_PATTERNS.fault.filter((step) => step.on.length > 0).length;
    await waitFor('the fault pattern to finish', () => onEdges('red') === pulses && !t.outputs.red.on);
    expect([onEdges('red'), onEdges('buzzer'), onEdges('green'), onEdges('relay')]).toEqual([pulses, pulses, 0, 0]);
    expect(t.store.counts().pending).toBe(recorded);

    // Space returns: the terminal notices by itself, without a tap.
    t.store.setSizeLimit(null);
    await waitFor('the store fault to clear', () => t.terminal.status().store.state === 'ok');
    clock.advance(1_000);
    expect(t.tap(cards[1] as string).kind).toMatch(/entry|exit/);

    // And everything recorded reaches the server once it is back.
    await server.startBroker();
    await waitFor('every tap delivered', () => {
      clock.advance(100);
      return t.store.counts().pending === 0;
    });
    expect(server.store.taps.count(server.terminalId)).toBe(recorded + 1);
  });
});
