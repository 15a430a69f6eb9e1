import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack } from '@ccus-gate/demo';
import Database from 'better-sqlite3';
import { connect } from 'mqtt';
import { pino } from 'pino';
import { type Benchmark, figure, percentile } from './harness.js';

const TAPS = 300;

/** Raw cost of one single-row commit with WAL and synchronous=FULL, as the terminal does it. */
function rawCommits(dir: string, count: number): number[] {
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
  }
  db.close();
  return samples;
}

export const benchmark: Benchmark = {
  name: 'tap-path',
  description:
    'One tap at a time through the whole demo stack: read → feedback (includes the durable commit) and read → delivered (terminal commit, MQTT to server, server transaction, ack back, delivered mark).',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-bench-'));
    try {
      const stack = await startStack({
        dataDir: dir,
        host: '127.0.0.1',
        httpPort: 0,
        mqttPort: 0,
        ccusPort: 0,
        log: pino({ level: 'silent' }),
      });
      const secrets = JSON.parse(readFileSync(join(dir, 'demo-secrets.json'), 'utf8')) as { servicePassword: string };

      // Raw MQTT: one QoS 1 message from a client, through the same broker, back to it.
      const probe = connect(stack.broker.url, {
        clientId: 'bench-probe',
        username: 'ccus-gate-server',
        password: secrets.servicePassword,
        protocolVersion: 4,
      });
      await new Promise<void>((resolve) => probe.once('connect', () => resolve()));
      (probe.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      const probeTopic = 'ccus/v1/t/bench-probe/cmd';
      await probe.subscribeAsync(probeTopic, { qos: 1 });
      const hops: number[] = [];
      for (let i = 0; i < TAPS; i++) {
        const started = performance.now();
        const arrived = new Promise<void>((resolve) => probe.once('message', () => resolve()));
        probe.publish(probeTopic, Buffer.alloc(300, 0x41), { qos: 1 });
        await arrived;
        hops.push(performance.now() - started);
      }
      await probe.endAsync();

      const commits = rawCommits(dir, TAPS);

      const feedback: number[] = [];
      const delivered: number[] = [];
      for (let i = 0; i < TAPS; i++) {
        const id = `B0${i.toString(16).padStart(6, '0').toUpperCase()}`;
        const started = performance.now();
        let seq = 0;
        const settled = new Promise<void>((resolve) => {
          const onSettled = (taps: { seq: number }[]): void => {
            if (taps.some((t) => t.seq === seq)) {
              stack.terminal.off('settled', onSettled);
              resolve();
            }
          };
          stack.terminal.on('settled', onSettled);
        });
        stack.terminal.once('outcome', (outcome) => {
          feedback.push(performance.now() - started);
          if ('tap' in outcome) seq = outcome.tap.seq;
        });
        stack.reader.present('mifare', id);
        stack.reader.remove();
        await settled;
        delivered.push(performance.now() - started);
      }
      await stack.close();

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
