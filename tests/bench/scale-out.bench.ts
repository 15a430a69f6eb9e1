import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNC_DEFAULTS } from '@ccus-gate/firmware';
import { parseTerminalId } from '@ccus-gate/protocol';
import {
  CcusSimulator,
  listenHttp,
  mosquittoAcl,
  mosquittoHash,
  ServerStore,
  type StoreEngine,
} from '@ccus-gate/server';
import { startMosquitto } from '../support/mosquitto.js';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';
import { startClusterServer } from '../support/server-cluster.js';
import { seedGate } from '../support/server-fixture.js';
import type { TerminalProcess } from '../support/terminal-process.js';
import { type BenchFigure, type Benchmark, figure, rawPostgresInsertRate, rawServerInsertRate } from './harness.js';
import { loadWorker, runLoad, type SteadyLoad, steadyFigures } from './load/run-load.js';
import { pgStoreIngestRate } from './pg-store-ingest.js';

const TERMINALS = 50;
const BATCHES = 40;
const BATCH = 100;
const WINDOW = 2;
/**
 * Each worker taps ten times in the hour a burst's taps cover (50 terminals × 4,000 taps, a
 * second apart): more than a real morning's two, but not the 200 a worker-day that 1,000
 * workers gave, where rebuilding a worker's day after each batch (its cost grows with the
 * day's taps) took most of the machine. A real site's roster is smaller still; this one goes
 * to every terminal.
 */
const WORKERS = 20_000;
const STEADY_TERMINALS = 200;
const STEADY_BATCH = 50;
const STEADY_INTERVAL_MS = 500;
const STEADY_SECONDS = 10;

const workerId = (w: number) => loadWorker(w).workerId;
const cardOf = (w: number) => loadWorker(w).card;

/**
 * `servers` sync server processes (`ccus-gate-server serve`) on one database (a SQLite file
 * in `dir`, or the PostgreSQL database at `postgresUrl`) and one Mosquitto of the run's own,
 * sharing the ingest; `terminals` accounts made for the load.
 */
async function startCluster(dir: string, servers: number, terminals: number, postgresUrl?: string) {
  mkdirSync(dir, { recursive: true });
  const database = postgresUrl ?? join(dir, 'server.db');
  const store: ServerStore<StoreEngine> =
    postgresUrl === undefined ? ServerStore.open(database) : await ServerStore.openPostgres(postgresUrl);
  const ids = Array.from({ length: terminals }, (_, i) => parseTerminalId(`gate-${String(i).padStart(3, '0')}`));
  const workers = Array.from({ length: WORKERS }, (_, w) => ({ workerId: workerId(w), card: cardOf(w) }));
  const { siteId, passwords } = await seedGate(store, { terminals: ids, workers });
  const accounts = ids.map((id) => ({ id, password: passwords.get(id) as string }));
  await store.close();
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
    const shared = { database, mosquittoUrl: mosquitto.url, service, ccusUrl: ccus.url };
    const server = await startClusterServer(dir, i, shared);
    processes.push(server);
    // A server joining a broker that holds no session of its own (this one is new) publishes
    // every terminal's roster, here 20,000 workers each to every terminal, and acks sent
    // meanwhile wait behind them: the load starts once they are through, so the figures
    // measure ingest, not a start (whose time the server logs).
    await server.waitForLine(
      `server ${i} to publish the rosters`,
      (line) => line.msg === 'rosters and configs published',
      120_000,
    );
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

/** Burst ingest through Mosquitto to `servers` serve processes, against the raw rate of their engine. */
async function burst(
  dir: string,
  servers: number,
  raw: { metric: string; value: number; unit: string },
  engine: 'SQLite' | 'PostgreSQL',
  postgres?: PostgresCluster,
  database?: string,
): Promise<BenchFigure> {
  const url = postgres === undefined || database === undefined ? undefined : postgres.database(database);
  const cluster = await startCluster(dir, servers, TERMINALS, url);
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
    return figure(
      `ingest through Mosquitto on ${engine}, ${servers} server process${servers === 1 ? '' : 'es'}`,
      result.taps / (result.elapsedMs / 1000),
      'taps/s',
      raw,
      servers === 1 ? '≥ 0.5×' : 'on 2 cores: no faster than 1',
    );
  } finally {
    await cluster.close();
  }
}

/**
 * Ack latency under a steady offered load, on `servers` servers: per batch, publish to ack
 * (the target), and per tap, taken on the terminal to acked, which shows any backlog the
 * terminals hold back under their in-flight window.
 */
async function steady(
  dir: string,
  servers: number,
  engine: 'SQLite' | 'PostgreSQL',
  postgres?: PostgresCluster,
): Promise<BenchFigure[]> {
  const cluster = await startCluster(
    dir,
    servers,
    STEADY_TERMINALS,
    postgres?.database(`ccus_bench_steady_${servers}`),
  );
  try {
    const result = await runLoad<SteadyLoad>({
      mode: 'steady',
      url: cluster.url,
      terminals: cluster.accounts,
      workers: cluster.workers,
      batchSize: STEADY_BATCH,
      intervalMs: STEADY_INTERVAL_MS,
      durationMs: STEADY_SECONDS * 1000,
      window: SYNC_DEFAULTS.window,
      maxBatch: SYNC_DEFAULTS.batchSize,
      startAt: Date.parse('2026-10-01T00:00:00Z'),
    });
    const offered = (STEADY_TERMINALS * STEADY_BATCH * 1000) / STEADY_INTERVAL_MS;
    return steadyFigures(
      result,
      `on ${engine}, ${servers} server${servers === 1 ? '' : 's'}, ${STEADY_TERMINALS} terminals offering ${offered.toLocaleString('en')} taps/s`,
    );
  } finally {
    await cluster.close();
  }
}

export const benchmark: Benchmark = {
  name: 'scale-out',
  description: `Several sync server processes on one SQLite file and one Mosquitto (MQTT 5 shared subscription): ${TERMINALS} simulated terminals (another process) each send ${BATCHES} batches of ${BATCH} taps, ${WINDOW} in flight, to 1, 2 and 3 servers; then ${STEADY_TERMINALS} terminals offer a steady load to 1 and to 3 servers. The same on PostgreSQL, beside its raw insert rate and the ingest store alone.`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-bench-scale-'));
    // Mosquitto runs as its own user and must reach its folder inside this one.
    chmodSync(dir, 0o711);
    try {
      const rawRate = rawServerInsertRate(join(dir, 'raw'), TERMINALS * BATCHES * BATCH, BATCH, TERMINALS);
      const raw = { metric: `raw inserts into the server's taps table (${BATCH}/txn)`, value: rawRate, unit: 'rows/s' };
      const figures: BenchFigure[] = [];
      // PostgreSQL's own rate for the same rows, on a durable cluster of the run's own: what
      // servers on PostgreSQL are measured against.
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
        // The ingest store on PostgreSQL alone, without broker or HTTP: what the engine costs.
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
              '',
            ),
          );
        }
        // The whole path on PostgreSQL: serve processes, Mosquitto, terminals in another process.
        for (const servers of [1, 2, 3]) {
          figures.push(
            await burst(
              join(dir, `pg-burst-${servers}`),
              servers,
              pgRaw,
              'PostgreSQL',
              postgres,
              `ccus_bench_serve_${servers}`,
            ),
          );
        }
        // The same offered load on one server and on three: on two cores, what the target needs.
        for (const servers of [1, 3]) {
          figures.push(...(await steady(join(dir, `pg-steady-${servers}`), servers, 'PostgreSQL', postgres)));
        }
      } finally {
        postgres.stop();
      }
      for (const servers of [1, 2, 3]) figures.push(await burst(join(dir, `burst-${servers}`), servers, raw, 'SQLite'));
      for (const servers of [1, 3]) figures.push(...(await steady(join(dir, `steady-${servers}`), servers, 'SQLite')));
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
