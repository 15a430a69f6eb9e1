import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminalStore } from '@ccus-gate/firmware';
import { parseCardRef, parseWorkerId } from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { startSyncServer } from '../support/sync-server.js';
import { buildOnce, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { type Benchmark, figure, percentile, rawServerInsertRate } from './harness.js';

const BACKLOG = Number(process.env.CCUS_GATE_BENCH_BACKLOG ?? 1_000_000);
const WORKERS = 1_000;
const BATCH = 500;
const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';
const LOOP_PROBE = new URL('./load/loop-delay-probe.mjs', import.meta.url).pathname;

const workerId = (w: number) => parseWorkerId(String(10_000_000_000_001 + w));
const cardOf = (w: number) => parseCardRef(`04${w.toString(16).toUpperCase().padStart(6, '0')}`);

/** A backlog as a long outage leaves it: each worker in and out once a day, day after day. */
function fillBacklog(path: string, count: number): void {
  TerminalStore.open(path).close(); // the schema, by the terminal's own migrations
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    `INSERT INTO taps (tech, card_id, worker_id, subject, direction, at, working_day, boot_id, mono, clock_synced, flags)
     VALUES ('mifare', ?, ?, ?, ?, ?, ?, ?, ?, 1, '[]')`,
  );
  const start = Date.parse('2026-11-24T00:00:00Z') - Math.ceil(count / (2 * WORKERS)) * 86_400_000;
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const day = Math.floor(i / (2 * WORKERS));
      const w = Math.floor(i / 2) % WORKERS;
      const out = i % 2 === 1;
      const at = new Date(start + day * 86_400_000 + (out ? 9 * 3600_000 : 0) + w * 1000);
      const id = workerId(w);
      insert.run(cardOf(w).id, id, id, out ? 'out' : 'in', at.toISOString(), at.toISOString().slice(0, 10), BOOT, i);
    }
  })();
  db.close();
}

/** VmRSS (all resident pages, including the Node binary's shared text) or RssAnon (private memory only). */
function rssMiB(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export const benchmark: Benchmark = {
  name: 'backlog-drain',
  description: `A ${BACKLOG.toLocaleString('en')}-tap backlog drained by the terminal process (ccus-gate-terminal run) through the broker to the server store, acked and marked delivered; with the terminal's resident memory while it drains and the gate's answer time meanwhile (card event to feedback, inside the terminal) and how long the terminal's event loop was held up (what a card read waits before that; measured by a probe preloaded into the terminal, tests/bench/load/loop-delay-probe.mjs).`,
  async run() {
    buildOnce();
    const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-bench-drain-'));
    try {
      const server = await startSyncServer(dir);
      for (let w = 2; w < WORKERS; w++) {
        server.store.directory.addWorker({
          workerId: workerId(w),
          tenantId: 't1',
          name: `worker ${w}`,
          trades: ['とび'],
        });
        server.store.directory.addToRoster(server.siteId, workerId(w));
        server.store.directory.addCard(cardOf(w), workerId(w));
      }
      const config = writeTerminalConfig(dir, {
        terminalId: server.terminalId,
        url: server.url,
        password: server.terminalPassword,
        extra: { log: { level: 'info' } },
      });
      const storePath = join(dir, 'store', 'terminal.db');
      process.stderr.write(`bench: filling a ${BACKLOG}-tap backlog...\n`);
      fillBacklog(storePath, BACKLOG);
      // The same number of rows as the backlog: the drain fills the server's table to a million
      // rows, and every insert costs more in a bigger table (200,000 go in about 20% faster).
      const rawRate = rawServerInsertRate(dir, BACKLOG, BATCH);

      let inserted = 0;
      server.server.on('batch', ({ result }) => {
        inserted += result.inserted;
      });
      const loopFile = join(dir, 'loop-delay.jsonl');
      const terminal = new TerminalProcess('run', config, undefined, {
        NODE_OPTIONS: `--import=${LOOP_PROBE}`,
        CCUS_GATE_LOOP_DELAY_FILE: loopFile,
      });
      const started = performance.now();
      await terminal.waitForLine('the terminal to start', (l) => l.msg === 'terminal started', 60_000);
      const pid = terminal.child.pid as number;
      /** The probe's delays since it was last asked (startup, drain, idle), once written. */
      const loopDelays = async (n: number): Promise<{ p50: number; p99: number; max: number }> => {
        process.kill(pid, 'SIGUSR2');
        for (let waited = 0; waited < 5_000; waited += 20) {
          const lines = existsSync(loopFile) ? readFileSync(loopFile, 'utf8').trim().split('\n') : [];
          if (lines.length >= n) return JSON.parse(lines[n - 1] as string) as { p50: number; p99: number; max: number };
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`${loopFile}: the terminal's loop-delay probe did not answer`);
      };
      await loopDelays(1); // from here on: the drain's
      const rss: number[] = [];
      const anon: number[] = [];
      const gate: number[] = [];
      const reader = new Database(storePath, { readonly: true });
      const pending = reader.prepare(`SELECT count(*) AS n FROM taps WHERE state = 'pending'`);
      // A worker at the gate every 250 ms while the backlog drains. The terminal logs how long
      // it took from the card to the feedback (commit included), measured inside its own loop.
      let tapped = 0;
      const tapAtGate = async (into: number[]): Promise<void> => {
        const from = terminal.lines.length;
        terminal.tap([cardOf(tapped++ % WORKERS).id]);
        const line = await terminal.waitForLine('the gate to answer', (l) => l.event === 'tap', 15_000, from);
        into.push(Number(line.answeredMs));
      };
      let drainedAt = 0;
      while (drainedAt === 0) {
        await tapAtGate(gate);
        rss.push(rssMiB(pid));
        anon.push(rssMiB(pid, 'RssAnon'));
        await new Promise((resolve) => setTimeout(resolve, 250));
        if (inserted >= BACKLOG && (pending.get() as { n: number }).n === 0) drainedAt = performance.now();
        if (performance.now() - started > 600_000)
          throw new Error(`drain did not finish in 10 min (${inserted} stored)`);
      }
      const drainLoop = await loopDelays(2);
      const idleGate: number[] = [];
      for (let i = 0; i < 40; i++) {
        await tapAtGate(idleGate);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const idleLoop = await loopDelays(3);
      reader.close();
      await terminal.kill('SIGTERM');
      await server.close();

      const seconds = (drainedAt - started) / 1000;
      const drainRate = BACKLOG / seconds;
      const settledRss = rss.slice(Math.floor(rss.length / 2));
      return [
        figure(
          `drain ${BACKLOG.toLocaleString('en')} taps`,
          drainRate,
          'taps/s',
          {
            metric: `raw inserts of as many rows into the server's taps table (${BATCH}/txn)`,
            value: rawRate,
            unit: 'rows/s',
          },
          `≥ 0.5× and ${BACKLOG.toLocaleString('en')} in < 30 s (took ${seconds.toFixed(1)} s)`,
        ),
        figure(
          'terminal RSS while draining, max',
          Math.max(...rss),
          'MiB',
          { metric: 'RSS at start of drain', value: rss[0] ?? Number.NaN, unit: 'MiB' },
          '≤ 90 MiB, flat',
        ),
        figure('terminal private memory (RssAnon), max', Math.max(...anon), 'MiB', {
          metric: 'RssAnon at start of drain',
          value: anon[0] ?? Number.NaN,
          unit: 'MiB',
        }),
        figure('terminal RSS, 2nd half of drain, max', Math.max(...settledRss), 'MiB', {
          metric: '2nd half min',
          value: Math.min(...settledRss),
          unit: 'MiB',
        }),
        figure('gate answer during drain p99', percentile(gate, 99), 'ms', {
          metric: 'gate answer idle p99',
          value: percentile(idleGate, 99),
          unit: 'ms',
        }),
        figure("terminal's event-loop delay during drain p99", drainLoop.p99, 'ms', {
          metric: 'idle p99',
          value: idleLoop.p99,
          unit: 'ms',
        }),
        figure("terminal's event-loop delay during drain, max", drainLoop.max, 'ms', {
          metric: 'idle max',
          value: idleLoop.max,
          unit: 'ms',
        }),
        figure('gate answer during drain p50', percentile(gate, 50), 'ms', {
          metric: 'gate answer idle p50',
          value: percentile(idleGate, 50),
          unit: 'ms',
        }),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
