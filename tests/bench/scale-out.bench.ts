import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTerminalId } from '@ccus-gate/protocol';
import { CcusSimulator, listenHttp, mosquittoAcl, mosquittoHash } from '@ccus-gate/server';
import { startMosquitto } from '../support/mosquitto.js';
import { startPostgres } from '../support/postgres.js';
import { startClusterServer } from '../support/server-cluster.js';
import { storeWithSite } from '../support/server-fixture.js';
import type { TerminalProcess } from '../support/terminal-process.js';
import {
  type BenchFigure,
  type Benchmark,
  figure,
  percentile,
  rawPostgresInsertRate,
  rawServerInsertRate,
} from './harness.js';
import { loadWorker, runLoad } from './load/run-load.js';
import { pgStoreIngestRate } from './pg-store-ingest.js';

const TERMINALS = 50;
const BATCHES = 40;
const BATCH = 100;
const WINDOW = 2;
const WORKERS = 1_000;
const STEADY_TERMINALS = 200;
const STEADY_BATCH = 50;
const STEADY_INTERVAL_MS = 500;
const STEADY_SECONDS = 10;

const workerId = (w: number) => loadWorker(w).workerId;
const cardOf = (w: number) => loadWorker(w).card;

/**
 * `servers` sync server processes (`ccus-gate-server serve`) on one SQLite file and one
 * Mosquitto of the run's own, sharing the ingest; `terminals` accounts made for the load.
 */
async function startCluster(dir: string, servers: number, terminals: number) {
  mkdirSync(dir, { recursive: true });
  const { store, siteId } = storeWithSite(dir);
  const accounts: { id: string; password: string }[] = [];
  for (let i = 0; i < terminals; i++) {
    const id = parseTerminalId(`gate-${String(i).padStart(3, '0')}`);
    accounts.push({ id, password: store.directory.createTerminal({ terminalId: id, tenantId: 't1', siteId }) });
  }
  const workers = [];
  for (let w = 0; w < WORKERS; w++) {
    store.directory.addWorker({ workerId: workerId(w), tenantId: 't1', name: `worker ${w}`, trades: ['とび'] });
    store.directory.addToRoster(siteId, workerId(w));
    store.directory.addCard(cardOf(w), workerId(w));
    workers.push({ workerId: workerId(w), card: cardOf(w) });
  }
  store.close();
  const simulator = new CcusSimulator();
  simulator.setRoster(
    siteId,
    workers.map((w) => ({ workerId: w.workerId, trades: ['とび'] })),
  );
  const ccus = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
  const services = Array.from({ length: servers }, (_, i) => ({
    username: `ccus-gate-server-${i}`,
    password: `s-${i}`,
  }));
  const mosquitto = await startMosquitto(
    dir,
    `${[...services, ...accounts.map((a) => ({ username: a.id, password: a.password }))]
      .map((a) => `${a.username}:${mosquittoHash(a.password)}`)
      .join('\n')}\n`,
    { acl: mosquittoAcl(services.map((s) => s.username)) },
  );
  const processes: TerminalProcess[] = [];
  for (const [i, service] of services.entries()) {
    const shared = { database: join(dir, 'server.db'), mosquittoUrl: mosquitto.url, service, ccusUrl: ccus.url };
    processes.push(await startClusterServer(dir, i, shared));
  }
  return {
    url: mosquitto.url,
    accounts,
    workers,
    async close() {
      for (const server of processes) await server.kill('SIGTERM');
      await mosquitto.stop();
      await ccus.close();
    },
  };
}

export const benchmark: Benchmark = {
  name: 'scale-out',
  description: `Several sync server processes on one SQLite file and one Mosquitto (MQTT 5 shared subscription): ${TERMINALS} simulated terminals (another process) each send ${BATCHES} batches of ${BATCH} taps, ${WINDOW} in flight, to 1, 2 and 3 servers; then ${STEADY_TERMINALS} terminals offer a steady load to 3 servers. On PostgreSQL: its raw insert rate and the ingest store alone (serve does not run there yet).`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-bench-scale-'));
    // Mosquitto runs as its own user and must reach its folder inside this one.
    chmodSync(dir, 0o711);
    try {
      const rawRate = rawServerInsertRate(join(dir, 'raw'), TERMINALS * BATCHES * BATCH, BATCH, TERMINALS);
      const raw = { metric: `raw inserts into the server's taps table (${BATCH}/txn)`, value: rawRate, unit: 'rows/s' };
      const figures: BenchFigure[] = [];
      // PostgreSQL's own rate for the same rows, on a durable cluster of the run's own: what a
      // server on PostgreSQL would be measured against once the stores run there.
      const postgres = await startPostgres({ durable: true });
      try {
        const pgRate = await rawPostgresInsertRate(
          postgres.database('ccus_bench'),
          TERMINALS * BATCHES * BATCH,
          BATCH,
          TERMINALS,
        );
        figures.push(
          figure(`raw inserts into PostgreSQL's taps table (${BATCH}/txn, pg, fsync on)`, pgRate, 'rows/s', raw, ''),
        );
        const pgRaw = { metric: `raw inserts into PostgreSQL (${BATCH}/txn)`, value: pgRate, unit: 'rows/s' };
        // The ingest store on PostgreSQL, without broker or HTTP (serve does not run there yet).
        for (const servers of [1, 2, 3]) {
          const rate = await pgStoreIngestRate(postgres.database(`ccus_bench_store_${servers}`), {
            count: TERMINALS * BATCHES * BATCH,
            batchSize: BATCH,
            terminals: TERMINALS,
            servers,
          });
          figures.push(
            figure(
              `TapStore on PostgreSQL, ${servers} engine${servers === 1 ? '' : 's'} side by side (no broker)`,
              rate,
              'taps/s',
              pgRaw,
              servers === 1 ? '≥ 0.5×' : '',
            ),
          );
        }
      } finally {
        postgres.stop();
      }
      for (const servers of [1, 2, 3]) {
        const cluster = await startCluster(join(dir, `burst-${servers}`), servers, TERMINALS);
        try {
          const result = await runLoad<{ taps: number; elapsedMs: number }>({
            mode: 'burst',
            url: cluster.url,
            terminals: cluster.accounts,
            workers: cluster.workers,
            batches: BATCHES,
            batchSize: BATCH,
            window: WINDOW,
            startAt: Date.parse('2026-10-01T00:00:00Z'),
          });
          figures.push(
            figure(
              `ingest through Mosquitto, ${servers} server process${servers === 1 ? '' : 'es'}`,
              result.taps / (result.elapsedMs / 1000),
              'taps/s',
              raw,
              servers === 1 ? '≥ 0.5×' : 'on 2 cores: no faster than 1',
            ),
          );
        } finally {
          await cluster.close();
        }
      }
      const cluster = await startCluster(join(dir, 'steady'), 3, STEADY_TERMINALS);
      try {
        const steady = await runLoad<{ taps: number; ackMs: number[] }>({
          mode: 'steady',
          url: cluster.url,
          terminals: cluster.accounts,
          workers: cluster.workers,
          batchSize: STEADY_BATCH,
          intervalMs: STEADY_INTERVAL_MS,
          durationMs: STEADY_SECONDS * 1000,
          startAt: Date.parse('2026-10-01T00:00:00Z'),
        });
        const offered = (STEADY_TERMINALS * STEADY_BATCH * 1000) / STEADY_INTERVAL_MS;
        figures.push(
          figure(
            `ack latency p99, 3 servers, ${STEADY_TERMINALS} terminals offering ${offered.toLocaleString('en')} taps/s`,
            percentile(steady.ackMs, 99),
            'ms',
            { metric: 'p50', value: percentile(steady.ackMs, 50), unit: 'ms' },
            '≤ 250 ms',
          ),
        );
      } finally {
        await cluster.close();
      }
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
