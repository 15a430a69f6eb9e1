import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTerminal, processZoneCalendarDate, systemClock, TerminalStore } from '@ccus-gate/firmware';
import { RecordingOutput, SimulatedReader } from '@ccus-gate/hardware';
import { parseTerminalId } from '@ccus-gate/protocol';
import { DEFAULT_TERMINAL_SETTINGS } from '@ccus-gate/server';
import { Aedes } from 'aedes';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { storeWithSite, T1 } from '../support/server-fixture.js';
import { buildOnce, SERVER_CLI, TerminalProcess } from '../support/terminal-process.js';
import { type Benchmark, figure, percentile } from './harness.js';

// Enough taps that p99 is not the third-worst of a handful.
const TAPS = 1_000;
/** Between taps: far quicker than any gate, slow enough that each tap finds the terminal idle. */
const GAP_MS = 20;

/**
 * Raw cost of one single-row commit with WAL and synchronous=FULL, as the terminal does it,
 * spaced like the taps below: a commit after a pause costs more than one of a tight loop.
 */
async function rawCommits(dir: string, count: number): Promise<number[]> {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, card TEXT, at TEXT, mono INTEGER, flags TEXT)');
  const insert = db.prepare('INSERT INTO t (card, at, mono, flags) VALUES (?, ?, ?, ?)');
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    insert.run(`B0${i.toString(16).padStart(6, '0')}`, new Date().toISOString(), i, '[]');
    samples.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  }
  db.close();
  return samples;
}

/** Raw MQTT: one QoS 1 message from a client, through a bare broker on loopback, back to it. */
async function rawMqttHops(count: number): Promise<number[]> {
  const broker = await Aedes.createBroker();
  const server = createNetServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const probe = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-probe', protocolVersion: 4 });
  (probe.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  await probe.subscribeAsync('probe', { qos: 1 });
  const hops: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const arrived = new Promise<void>((resolve) => probe.once('message', () => resolve()));
    probe.publish('probe', Buffer.alloc(300, 0x41), { qos: 1 });
    await arrived;
    hops.push(performance.now() - started);
  }
  await probe.endAsync();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return hops;
}

/**
 * The sync server as on a real site: its own process (`ccus-gate-server serve`, embedded
 * broker), so its work never shares the terminal's thread. Returns the broker URL and the
 * terminal's password.
 */
async function serverProcess(dir: string): Promise<{ url: string; password: string; process: TerminalProcess }> {
  const database = join(dir, 'server.db');
  const { store, siteId } = storeWithSite(dir);
  const password = store.directory.createTerminal({
    terminalId: parseTerminalId('bench-gate'),
    tenantId: 't1',
    siteId,
  });
  store.directory.setTerminalSettings(T1, parseTerminalId('bench-gate'), {
    ...DEFAULT_TERMINAL_SETTINGS,
    debounceSeconds: 0,
  });
  store.close();
  const config = join(dir, 'server.json');
  writeFileSync(
    config,
    JSON.stringify({
      database,
      http: { host: '127.0.0.1', port: 0 },
      broker: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      ccus: { mode: 'simulator', port: 0 },
      log: { level: 'info' },
    }),
  );
  const child = new TerminalProcess('serve', config, SERVER_CLI);
  const started = await child.waitForLine('the server to start', (line) => line.msg === 'sync server started');
  return { url: String(started.broker), password, process: child };
}

export const benchmark: Benchmark = {
  name: 'tap-path',
  description:
    'One tap at a time on a terminal whose server runs in another process: read → feedback (includes the durable commit) and read → delivered (terminal commit, MQTT to server, server transaction, ack back, delivered mark).',
  async run() {
    buildOnce();
    const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-bench-'));
    try {
      const server = await serverProcess(dir);
      const terminalStore = TerminalStore.open(join(dir, 'terminal.db'));
      const reader = new SimulatedReader('sim');
      const terminal = createTerminal({
        terminalId: parseTerminalId('bench-gate'),
        clock: systemClock({ assumeSynced: true }),
        store: terminalStore,
        readers: [reader],
        outputs: {
          green: new RecordingOutput('green'),
          red: new RecordingOutput('red'),
          buzzer: new RecordingOutput('buzzer'),
          relay: new RecordingOutput('relay'),
        },
        transport: { url: server.url, password: server.password },
        log: pino({ level: 'silent' }),
        settings: { debounceMs: 0 },
        // As ccus-gate-terminal run does: the working day through the process's own zone.
        calendarDate: processZoneCalendarDate,
      });
      await terminal.start();
      await new Promise<void>((resolve) => terminal.once('connected', () => resolve()));

      const hops = await rawMqttHops(TAPS);
      const commits = await rawCommits(dir, TAPS);

      const feedback: number[] = [];
      const delivered: number[] = [];
      for (let i = 0; i < TAPS; i++) {
        const id = `B0${i.toString(16).padStart(6, '0').toUpperCase()}`;
        const started = performance.now();
        let seq = 0;
        const settled = new Promise<void>((resolve) => {
          const onSettled = (taps: { seq: number }[]): void => {
            if (taps.some((t) => t.seq === seq)) {
              terminal.off('settled', onSettled);
              resolve();
            }
          };
          terminal.on('settled', onSettled);
        });
        terminal.once('outcome', (outcome) => {
          feedback.push(performance.now() - started);
          if ('tap' in outcome) seq = outcome.tap.seq;
        });
        reader.present('mifare', id);
        reader.remove();
        await settled;
        delivered.push(performance.now() - started);
        // The next worker 20 ms later (a gate sees one every second or two): the previous
        // tap's delivery, ack and bookkeeping are done, as they would be at a real gate.
        await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      }
      await terminal.stop();
      terminalStore.close();
      await server.process.kill('SIGTERM');

      const rawCommit = { p50: percentile(commits, 50), p99: percentile(commits, 99) };
      const path = (p: number): number => 2 * percentile(hops, p) + 2 * percentile(commits, p);
      return [
        figure('read → feedback p50', percentile(feedback, 50), 'ms', {
          metric: 'FULL commit p50',
          value: rawCommit.p50,
          unit: 'ms',
        }),
        figure(
          'read → feedback p99',
          percentile(feedback, 99),
          'ms',
          { metric: 'FULL commit p99', value: rawCommit.p99, unit: 'ms' },
          '≤ 2× (issue 3)',
        ),
        figure('read → delivered p50', percentile(delivered, 50), 'ms', {
          metric: '2 MQTT hops + 2 commits p50',
          value: path(50),
          unit: 'ms',
        }),
        figure('read → delivered p99', percentile(delivered, 99), 'ms', {
          metric: '2 MQTT hops + 2 commits p99',
          value: path(99),
          unit: 'ms',
        }),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
