import type { SyncServer } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

/** CCUS goes away, misbehaves or refuses; records reach it once, or wait for a person with the reason. */
describe('forwarding to CCUS', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let t: TestTerminal;
  const states = () =>
    server.store.queries
      .records(T1, { limit: 100, offset: 0 })
      .map((r) => r.ccus?.state ?? 'none')
      .sort();

  beforeEach(async () => {
    dir = tempDir('ccus');
    server = await startSyncServer(dir.path, {
      forwarder: {
        pollMs: 50,
        baseBackoffMs: 50,
        maxBackoffMs: 400,
        breakerVolume: 4,
        breakerResetMs: 300,
        ratePerSecond: 500,
      },
      ccusTimeoutMs: 250,
      ccusNow: () => new Date('2026-11-24T03:00:00Z'),
    });
  });

  afterEach(async () => {
    await t?.stop();
    await server.close();
    dir.remove();
  });

  /** Each worker enters and leaves on three days: six records. */
  async function workThreeDays(): Promise<void> {
    const clock = testClock('2026-11-19T23:00:00Z');
    t = await startTestTerminal({
      dir: dir.path,
      ...server.terminalConnection(),
      clock,
      roster: server.roster(),
    });
    for (let day = 0; day < 3; day++) {
      for (const worker of server.workers) t.tap(worker.card.id);
      clock.advance(9 * 3_600_000);
      for (const worker of server.workers) t.tap(worker.card.id);
      clock.advance(15 * 3_600_000);
    }
    await waitFor('six records', () => server.store.queries.records(T1, { limit: 100, offset: 0 }).length === 6);
  }

  function breakerStates(s: SyncServer): string[] {
    const seen: string[] = [];
    s.on('breaker', (state) => seen.push(state));
    return seen;
  }

  it('rides out an outage: retries with backoff, opens the circuit, and sends everything once when CCUS is back', async () => {
    const breaker = breakerStates(server.server);
    server.simulator.failWith({ kind: 'server_error', status: 503 });
    await workThreeDays();
    await waitFor('the circuit to open', () => breaker.includes('open'));
    const duringOutage = server.simulator.requests;
    // Open, the circuit lets one trial through per reset period: no storm against a failing CCUS.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(server.simulator.requests - duringOutage).toBeLessThanOrEqual(5);
    expect(states().every((state) => state === 'retrying' || state === 'pending')).toBe(true);
    const record = server.store.queries.records(T1, { state: 'retrying', limit: 1, offset: 0 })[0];
    expect(record?.ccus?.lastError).toContain('simulated outage');

    server.simulator.recover();
    await waitFor('all accepted', () => states().every((state) => state === 'accepted'), 15_000);
    expect(breaker.at(-1)).toBe('closed');
    expect(server.simulator.records.size).toBe(6);
    expect([...server.simulator.records.values()].every((r) => r.submissions === 1)).toBe(true);
    expect(server.simulator.feesYen).toBe(60);
  });

  it('sends again after a timeout in which CCUS kept the record, and CCUS still holds it once', async () => {
    server.simulator.failWith({ kind: 'timeout', delayMs: 600, stored: true }, 3);
    await workThreeDays();
    await waitFor('all accepted', () => states().every((state) => state === 'accepted'), 15_000);
    expect(server.simulator.records.size).toBe(6);
    expect([...server.simulator.records.values()].some((r) => r.submissions > 1)).toBe(true);
    expect(server.simulator.feesYen).toBe(60);
  });

  it('waits as long as CCUS asks when it rate-limits', async () => {
    const waits: number[] = [];
    server.server.on('retrying', ({ inMs }) => waits.push(inMs));
    server.simulator.failWith({ kind: 'rate_limit', retryAfterSeconds: 1 }, 1);
    await workThreeDays();
    await waitFor('all accepted', () => states().every((state) => state === 'accepted'), 15_000);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
  });

  it('stops at a permanent refusal and shows why; sent again once a person has fixed it, it is accepted', async () => {
    const refusedWorker = server.workers[1]?.workerId as string;
    server.simulator.setRoster(server.siteId, [server.workers[0]?.workerId as string]);
    await workThreeDays();
    await waitFor('three refused', () => states().filter((s) => s === 'refused').length === 3);
    await waitFor('three accepted', () => states().filter((s) => s === 'accepted').length === 3);
    const refused = server.store.queries.records(T1, { state: 'refused', limit: 10, offset: 0 });
    expect(refused.map((r) => r.workerId)).toEqual([refusedWorker, refusedWorker, refusedWorker]);
    expect(refused[0]?.ccus?.lastError).toMatch(/^not_on_roster: worker \d+ is not on the roster/);
    const requests = server.simulator.requests;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.simulator.requests).toBe(requests);

    // The prime registers the worker on the site in CCUS, then sends the records again.
    server.simulator.setRoster(
      server.siteId,
      server.workers.map((w) => w.workerId),
    );
    for (const record of refused) server.store.queries.retry(T1, record);
    await waitFor('all accepted', () => states().every((state) => state === 'accepted'), 10_000);
    expect(server.simulator.records.size).toBe(6);
  });
});
