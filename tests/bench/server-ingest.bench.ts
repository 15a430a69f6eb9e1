import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SYNC_DEFAULTS } from '@ccus-gate/firmware';
import { type CardRef, parseTerminalId } from '@ccus-gate/protocol';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { type Benchmark, figure, percentile, rawServerInsertRate } from './harness.js';
import { loadWorker, runLoad, type SteadyLoad, steadyFigures } from './load/run-load.js';

const TERMINALS = Number(process.env.CCUS_GATE_BENCH_TERMINALS ?? 50);
const BATCHES = Number(process.env.CCUS_GATE_BENCH_BATCHES ?? 40);
const BATCH = 100;
const WINDOW = 2;
const WORKERS = 1_000;
/** Half the measured capacity, offered steadily by many terminals: a busy morning, not a flood. */
const STEADY_TERMINALS = 200;
const STEADY_BATCH = 50;
const STEADY_INTERVAL_MS = 500;
const STEADY_SECONDS = 10;
const ONLINE_TERMINALS = 10;
const ONLINE_TAPS = 15;
const ONLINE_INTERVAL_MS = 1_000;
const LOOP_TICK_MS = 10;
/** Node's histogram holds whole intervals between its ticks: the tick is taken off, so 0 is a loop never held. */
const loopLagMs = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_TICK_MS);

const workerId = (w: number) => loadWorker(w).workerId;
const cardOf = (w: number) => loadWorker(w).card;

/** Registers terminals and workers (on the roster, with cards); returns what the load process needs. */
function populate(server: SyncServerHarness, terminals: number, prefix: string) {
  const accounts = [];
  for (let i = 0; i < terminals; i++) {
    const id = parseTerminalId(`${prefix}-${String(i).padStart(3, '0')}`);
    const password = server.store.directory.createTerminal({ terminalId: id, tenantId: 't1', siteId: server.siteId });
    accounts.push({ id, password });
  }
  return accounts;
}

function addWorkers(server: SyncServerHarness): { workerId: string; card: CardRef }[] {
  const workers = [];
  for (let w = 0; w < WORKERS; w++) {
    if (w >= 2) {
      server.store.directory.addWorker({
        workerId: workerId(w),
        tenantId: 't1',
        name: `worker ${w}`,
        trades: ['とび'],
      });
      server.store.directory.addToRoster(server.siteId, workerId(w));
      server.store.directory.addCard(cardOf(w), workerId(w));
    }
    const known = server.workers[w];
    workers.push(
      known === undefined ? { workerId: workerId(w), card: cardOf(w) } : { workerId: known.workerId, card: known.card },
    );
  }
  server.simulator.setRoster(
    server.siteId,
    workers.map((w) => ({ workerId: w.workerId, trades: ['とび'] })),
  );
  return workers;
}

export const benchmark: Benchmark = {
  name: 'server-ingest',
  description: `${TERMINALS} simulated terminals (another process, real MQTT over aedes) each send ${BATCHES} batches of ${BATCH} taps, ${WINDOW} in flight; the server validates, stores, acks. Then ${ONLINE_TERMINALS} terminals send one tap a second each, and the time from the tap to its record accepted by the CCUS simulator is measured.`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-bench-ingest-'));
    try {
      const rawRate = rawServerInsertRate(dir, TERMINALS * BATCHES * BATCH, BATCH, TERMINALS);

      // Online first, on a quiet server: a working morning, not the tail of a flood.
      const online = await startSyncServer(join(dir, 'online'), { forwarder: { pollMs: 100 } });
      const onlineWorkers = addWorkers(online);
      const accepted = new Map<string, number>();
      online.server.on('accepted', ({ item }) => {
        if (!accepted.has(item.workerId)) accepted.set(item.workerId, Date.now());
      });
      const onlinePlan = {
        mode: 'online',
        url: online.url,
        terminals: populate(online, ONLINE_TERMINALS, 'gate-online'),
        workers: onlineWorkers,
        tapsPerTerminal: ONLINE_TAPS,
        intervalMs: ONLINE_INTERVAL_MS,
        firstSeq: 1,
      };
      const { sent } = await runLoad<{ sent: { workerId: string; sentAt: number }[] }>(onlinePlan);
      const deadline = Date.now() + 30_000;
      while (sent.some((s) => !accepted.has(s.workerId)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const toAccepted = sent.map((s) => (accepted.get(s.workerId) ?? Number.POSITIVE_INFINITY) - s.sentAt);
      await online.close();

      // Then the flood: everyone's backlog at once.
      const burst = await startSyncServer(join(dir, 'burst'), { forwarder: { pollMs: 1_000 } });
      const burstPlan = {
        mode: 'burst',
        url: burst.url,
        terminals: populate(burst, TERMINALS, 'gate-load'),
        workers: addWorkers(burst),
        batches: BATCHES,
        batchSize: BATCH,
        window: WINDOW,
        startAt: Date.parse('2026-10-01T00:00:00Z'),
      };
      const result = await runLoad<{ taps: number; elapsedMs: number; ackMs: number[] }>(burstPlan);
      await burst.close();

      const steadyServer = await startSyncServer(join(dir, 'steady'), { forwarder: { pollMs: 1_000 } });
      const steadyPlan = {
        mode: 'steady',
        url: steadyServer.url,
        terminals: populate(steadyServer, STEADY_TERMINALS, 'gate-steady'),
        workers: addWorkers(steadyServer),
        batchSize: STEADY_BATCH,
        intervalMs: STEADY_INTERVAL_MS,
        durationMs: STEADY_SECONDS * 1000,
        window: SYNC_DEFAULTS.window,
        maxBatch: SYNC_DEFAULTS.batchSize,
        startAt: Date.parse('2026-10-01T00:00:00Z'),
      };
      // The server runs in this process: how long its event loop was held up tells whether a
      // slow ack waited for the server or for the load generator and the machine.
      const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
      loopDelay.enable();
      const steady = await runLoad<SteadyLoad>(steadyPlan);
      loopDelay.disable();
      await steadyServer.close();
      const offered = (STEADY_TERMINALS * STEADY_BATCH * 1000) / STEADY_INTERVAL_MS;

      const rate = result.taps / (result.elapsedMs / 1000);
      return [
        figure(
          `ingest, ${TERMINALS} terminals × ${BATCHES} batches of ${BATCH}`,
          rate,
          'taps/s',
          { metric: `raw inserts into the server's taps table (${BATCH}/txn)`, value: rawRate, unit: 'rows/s' },
          '≥ 0.5×',
        ),
        ...steadyFigures(steady, `${STEADY_TERMINALS} terminals offering ${offered.toLocaleString('en')} taps/s`),
        figure('server event-loop delay p99 under that steady load', loopLagMs(loopDelay.percentile(99)), 'ms', {
          metric: 'max',
          value: loopLagMs(loopDelay.max),
          unit: 'ms',
        }),
        figure(
          `ack latency p99 at saturation (${TERMINALS * WINDOW} batches in flight)`,
          percentile(result.ackMs, 99),
          'ms',
          { metric: 'p50', value: percentile(result.ackMs, 50), unit: 'ms' },
          'queueing: in flight × time per batch',
        ),
        figure(
          `online tap → accepted by CCUS, p99 (${sent.length} taps)`,
          percentile(toAccepted, 99),
          'ms',
          { metric: 'p50', value: percentile(toAccepted, 50), unit: 'ms' },
          '< 2000 ms',
        ),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
