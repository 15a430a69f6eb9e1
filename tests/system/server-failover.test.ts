import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type Ack,
  type CardRef,
  decodeMessage,
  encodeMessage,
  parseCardRef,
  parseTerminalId,
  parseWorkerId,
  type TerminalId,
  topicFor,
  type WorkerId,
} from '@ccus-gate/protocol';
import {
  CcusSimulator,
  type EngineKind,
  type HttpListener,
  listenHttp,
  mosquittoAcl,
  mosquittoHash,
  ServerStore,
  type StoreEngine,
} from '@ccus-gate/server';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';
import { startClusterServer, startServerProcess } from '../support/server-cluster.js';
import { seedGate, T1 } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import type { TerminalProcess } from '../support/terminal-process.js';
import { waitForAsync } from '../support/wait.js';

const SERVERS = 3;
/** Each batch is one worker-day (entry and exit), on 1 to DAYS November 2026: one record each. */
const DAYS = 25;
/**
 * On SQLite, 20 terminals a batch every half second (one file's lock is the limit); on
 * PostgreSQL, as the fleet it is for: 200 terminals, for a minute of kills.
 */
const SCALE: Record<EngineKind, { terminals: number; gapMs: number }> = {
  sqlite: { terminals: 20, gapMs: 500 },
  postgres: { terminals: 200, gapMs: 2_400 },
};
const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';

interface Gate {
  terminalId: TerminalId;
  password: string;
  workerId: WorkerId;
  card: CardRef;
}

/**
 * Several sync servers in their own processes on one database (a SQLite file, or PostgreSQL)
 * and one Mosquitto (shared subscription), while terminals send: a random server is killed
 * with SIGKILL every few seconds and started again. At the end every tap a terminal sent is
 * stored once, every record is built, CCUS holds each record once and was charged once for
 * it, and nothing is left being sent. Then the database goes away for a while under them.
 */
describe.each(['sqlite', 'postgres'] as const)('several servers on %s, one killed after another', (kind) => {
  const { terminals: TERMINALS, gapMs } = SCALE[kind];
  const dir = tempDir('failover');
  let database = join(dir.path, 'server.db');
  let postgres: PostgresCluster | null = null;
  /** The servers' database, as a process that is not one of them opens it. */
  const openStore = (): Promise<ServerStore<StoreEngine>> | ServerStore<StoreEngine> =>
    kind === 'postgres' ? ServerStore.openPostgres(database) : ServerStore.open(database);
  const gates: Gate[] = [];
  const services = Array.from({ length: SERVERS }, (_, i) => ({
    username: `ccus-gate-server-${i}`,
    password: `service-secret-${i}`,
  }));
  let mosquitto: RunningMosquitto;
  let simulator: CcusSimulator;
  let ccus: HttpListener;
  const servers: (TerminalProcess | null)[] = [];
  /** Every process started, killed ones included, for their logs. */
  const started: TerminalProcess[] = [];
  let kills = 0;

  /** A server that ends other than by the test's SIGKILL is a failure: what it said goes with it. */
  const watch = (server: TerminalProcess): void => {
    server.child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') return;
      unexpected.push(
        `exited (${code ?? signal}): ${server.stderr.slice(0, 30).join('\n')} ${JSON.stringify(server.lines.slice(-5))}`,
      );
    });
  };
  const unexpected: string[] = [];

  /** Starts a killed server again, with the config it had. */
  const restart = async (i: number): Promise<void> => {
    const server = await startServerProcess(join(dir.path, `server-${i}.json`), i);
    watch(server);
    servers[i] = server;
    started.push(server);
  };

  beforeAll(async () => {
    if (kind === 'postgres') {
      postgres = await startPostgres();
      database = postgres.database('failover');
    }
    for (let i = 0; i < TERMINALS; i++) {
      const n = String(i + 1).padStart(3, '0');
      gates.push({
        terminalId: parseTerminalId(`gate-${n}`),
        password: '',
        workerId: parseWorkerId(`10000000000${n}`),
        card: parseCardRef(`04A2B3C0${n.padStart(6, '0')}`),
      });
    }
    const seeding = await openStore();
    const seeded = await seedGate(seeding, {
      terminals: gates.map((g) => g.terminalId),
      workers: gates.map((g) => ({ workerId: g.workerId, card: g.card })),
    });
    for (const gate of gates) gate.password = seeded.passwords.get(gate.terminalId) as string;
    await seeding.close();

    simulator = new CcusSimulator();
    simulator.setRoster(
      seeded.siteId,
      gates.map((g) => ({ workerId: g.workerId, trades: ['とび'] })),
    );
    ccus = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
    const passwords = [
      ...services.map((s) => `${s.username}:${mosquittoHash(s.password)}`),
      ...gates.map((g) => `${g.terminalId}:${mosquittoHash(g.password)}`),
    ].join('\n');
    mosquitto = await startMosquitto(dir.path, `${passwords}\n`, {
      acl: mosquittoAcl(services.map((s) => s.username)),
    });
    for (const [i, service] of services.entries()) {
      const server = await startClusterServer(dir.path, i, {
        database,
        mosquittoUrl: mosquitto.url,
        service,
        ccusUrl: ccus.url,
        extra: {
          ccus: { mode: 'http', url: ccus.url, timeoutSeconds: 1 },
          forwarder: { claimSeconds: 3, ratePerSecond: 500, maxBackoffSeconds: 1 },
        },
      });
      watch(server);
      servers[i] = server;
      started.push(server);
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) await server?.kill('SIGKILL');
    await mosquitto?.stop();
    await ccus?.close();
    postgres?.stop();
    dir.remove();
  });

  /** A terminal as the server sees it: each batch sent until acked, again after a silence. */
  /** The last sequence number each terminal used. */
  const seqOf = new Map<string, number>();
  /** When each batch was acked as stored. */
  const ackedAt: number[] = [];

  async function terminal(gate: Gate, days: readonly number[]): Promise<number> {
    const client: MqttClient = await connectAsync(mosquitto.url, {
      username: gate.terminalId,
      password: gate.password,
      clientId: gate.terminalId,
      reconnectPeriod: 500,
    });
    const acks = new Map<string, (ack: Ack) => void>();
    client.on('message', (_topic, payload) => {
      const ack = decodeMessage('ack', payload);
      if (ack.batchId !== null) acks.get(ack.batchId)?.(ack);
    });
    await client.subscribeAsync(topicFor(gate.terminalId, 'ack'), { qos: 1 });
    let seq = seqOf.get(gate.terminalId) ?? 0;
    for (const day of days) {
      const at = (hour: string) => `2026-11-${String(day).padStart(2, '0')}T${hour}:00:00.000+09:00`;
      const taps = (['08', '17'] as const).map((hour, i) => ({
        seq: ++seq,
        card: gate.card,
        workerId: gate.workerId,
        direction: i === 0 ? 'in' : 'out',
        at: at(hour),
        bootId: BOOT,
        mono: Date.parse(at(hour)) - Date.parse('2026-10-31T00:00:00Z'),
        clockSynced: true,
        flags: [],
      }));
      const batchId = randomUUID();
      const payload = encodeMessage('taps', {
        v: 1,
        terminalId: gate.terminalId,
        batchId,
        sentAt: new Date().toISOString(),
        taps,
      } as never);
      for (;;) {
        // A server that died on its own fails the run at once, instead of the terminals waiting on.
        if (unexpected.length > 0) throw new Error(`a server failed: ${unexpected.join('\n')}`);
        const acked = new Promise<Ack | null>((resolve) => {
          acks.set(batchId, resolve);
          setTimeout(() => resolve(null), 2_000);
        });
        client.publish(topicFor(gate.terminalId, 'taps'), payload, { qos: 1 });
        const ack = await acked;
        if (ack !== null && ack.error === null) {
          ackedAt.push(Date.now());
          break;
        }
      }
      // A gate's taps come a while apart: the run lasts long enough for several kills.
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await client.endAsync();
    seqOf.set(gate.terminalId, seq);
    return seq;
  }

  it('stores every tap once, builds every record, and CCUS holds and charges each once', async () => {
    let sending = true;
    const killer = (async () => {
      while (sending) {
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        if (!sending) break;
        const i = Math.floor(Math.random() * SERVERS);
        await servers[i]?.kill('SIGKILL');
        kills++;
        await new Promise((resolve) => setTimeout(resolve, 700));
        await restart(i).catch((error: Error) => unexpected.push(`server ${i} did not start again: ${error.message}`));
      }
    })();
    const days = Array.from({ length: DAYS }, (_, i) => i + 1);
    const sent = await Promise.all(gates.map((gate) => terminal(gate, days)));
    sending = false;
    await killer;
    expect(kills).toBeGreaterThan(0);
    // Server processes take turns at the database: none failed a write because another held it.
    const failures = started.flatMap((server) =>
      server.lines.filter((line) => line.level >= 50).map((line) => line.msg),
    );
    expect(failures).toEqual([]);

    const store = await openStore();
    try {
      const expected = TERMINALS * DAYS;
      await waitForAsync(
        'every record built and accepted by CCUS',
        async () => {
          const outbox = await store.queries.records(T1, { limit: -1, offset: 0 });
          return outbox.length === expected && outbox.every((r) => r.ccus?.state === 'accepted');
        },
        120_000,
      );
      for (const [i, gate] of gates.entries()) expect(await store.taps.count(gate.terminalId)).toBe(sent[i]);
      expect(await store.records.queued()).toBe(0);
      const records = await store.queries.records(T1, { limit: -1, offset: 0 });
      expect(records.every((r) => r.tapCount === 2 && r.flags.length === 0)).toBe(true);
      expect(simulator.records.size).toBe(expected);
      expect(simulator.feesYen).toBe(expected * 10);
    } finally {
      await store.close();
    }
  }, 360_000);

  it('rides out a database that is away: acks wait, nothing is lost, no server exits', async () => {
    const days = [DAYS + 1, DAYS + 2];
    let away: { from: number; until: number };
    let sent: number[];
    if (kind === 'sqlite') {
      // Another process holds the file, longer than a server waits for its lock (10 s).
      const holder = ServerStore.open(database);
      holder.db.raw.exec('BEGIN EXCLUSIVE');
      const sending = Promise.all(gates.map((gate) => terminal(gate, days)));
      const from = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      const during = holder.taps.count(gates[0]?.terminalId as TerminalId);
      away = { from, until: Date.now() };
      holder.db.raw.exec('COMMIT');
      holder.close();
      sent = await sending;
      // Nothing was stored while the lock was held: the terminals kept their taps and sent them again.
      expect(during).toBe(DAYS * 2);
    } else {
      // PostgreSQL stopped for 30 seconds under the servers, then started again.
      const sending = Promise.all(gates.map((gate) => terminal(gate, days)));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      postgres?.halt();
      const from = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 30_000));
      away = { from, until: Date.now() };
      postgres?.resume();
      sent = await sending;
    }
    // While it was away, no batch was acked as stored: each waited on its terminal.
    expect(ackedAt.filter((at) => at > away.from + 2_000 && at < away.until)).toEqual([]);
    expect(servers.every((server) => server?.child.exitCode === null)).toBe(true);

    const store = await openStore();
    try {
      // One record per batch: each terminal's last seq counts two taps a day.
      const expected = sent.reduce((sum, seq) => sum + seq / 2, 0);
      await waitForAsync(
        'the held-up taps stored, built and accepted',
        async () => {
          const records = await store.queries.records(T1, { limit: -1, offset: 0 });
          return records.length === expected && records.every((r) => r.ccus?.state === 'accepted');
        },
        120_000,
      );
      for (const [i, gate] of gates.entries()) expect(await store.taps.count(gate.terminalId)).toBe(sent[i]);
      expect(simulator.feesYen).toBe(expected * 10);
    } finally {
      await store.close();
    }
  }, 360_000);
});
