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
  type HttpListener,
  listenHttp,
  mosquittoAcl,
  mosquittoHash,
  ServerStore,
} from '@ccus-gate/server';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { startClusterServer, startServerProcess } from '../support/server-cluster.js';
import { staffSite, storeWithSite, T1 } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import type { TerminalProcess } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

const SERVERS = 3;
const TERMINALS = 20;
/** Each batch is one worker-day (entry and exit), on 1 to DAYS November 2026: one record each. */
const DAYS = 25;
const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';

interface Gate {
  terminalId: TerminalId;
  password: string;
  workerId: WorkerId;
  card: CardRef;
}

/**
 * Several sync servers in their own processes on one database and one Mosquitto (shared
 * subscription), while terminals send: a random server is killed with SIGKILL every few
 * seconds and started again. At the end every tap a terminal sent is stored once, every
 * record is built, CCUS holds each record once and was charged once for it, and nothing is
 * left being sent.
 */
describe('several servers, one killed after another', () => {
  const dir = tempDir('failover');
  const database = join(dir.path, 'server.db');
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

  /** Starts a killed server again, with the config it had. */
  const restart = async (i: number): Promise<void> => {
    const server = await startServerProcess(join(dir.path, `server-${i}.json`), i);
    servers[i] = server;
    started.push(server);
  };

  beforeAll(async () => {
    const seeded = storeWithSite(dir.path);
    for (let i = 0; i < TERMINALS; i++) {
      const n = String(i + 1).padStart(2, '0');
      gates.push({
        terminalId: parseTerminalId(`gate-${n}`),
        password: '',
        workerId: parseWorkerId(`100000000000${n}`),
        card: parseCardRef(`04A2B3${n}`),
      });
    }
    staffSite(seeded.store, seeded.siteId, {
      terminals: gates.map((g) => g.terminalId),
      workers: gates.map((g) => ({ workerId: g.workerId, card: g.card })),
    });
    for (const gate of gates) gate.password = seeded.store.directory.rotateTerminalSecret(gate.terminalId);
    seeded.store.close();

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
      servers[i] = server;
      started.push(server);
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) await server?.kill('SIGKILL');
    await mosquitto?.stop();
    await ccus?.close();
    dir.remove();
  });

  /** A terminal as the server sees it: each batch sent until acked, again after a silence. */
  /** The last sequence number each terminal used. */
  const seqOf = new Map<string, number>();

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
        const acked = new Promise<Ack | null>((resolve) => {
          acks.set(batchId, resolve);
          setTimeout(() => resolve(null), 2_000);
        });
        client.publish(topicFor(gate.terminalId, 'taps'), payload, { qos: 1 });
        const ack = await acked;
        if (ack !== null && ack.error === null) break;
      }
      // A gate's taps come a while apart: the run lasts long enough for several kills.
      await new Promise((resolve) => setTimeout(resolve, 500));
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
        await restart(i);
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

    const store = ServerStore.open(database);
    try {
      const expected = TERMINALS * DAYS;
      await waitFor(
        'every record built and accepted by CCUS',
        () => {
          const outbox = store.queries.records(T1, { limit: 1000, offset: 0 });
          return outbox.length === expected && outbox.every((r) => r.ccus?.state === 'accepted');
        },
        60_000,
      );
      for (const [i, gate] of gates.entries()) expect(store.taps.count(gate.terminalId)).toBe(sent[i]);
      expect(store.records.queued()).toBe(0);
      const records = store.queries.records(T1, { limit: 1000, offset: 0 });
      expect(records.every((r) => r.tapCount === 2 && r.flags.length === 0)).toBe(true);
      expect(simulator.records.size).toBe(expected);
      expect(simulator.feesYen).toBe(expected * 10);
    } finally {
      store.close();
    }
  }, 240_000);

  it('rides out a database another process holds: acks wait, nothing is lost, no server exits', async () => {
    const holder = ServerStore.open(database);
    holder.db.raw.exec('BEGIN EXCLUSIVE');
    const sending = Promise.all(gates.map((gate) => terminal(gate, [DAYS + 1, DAYS + 2])));
    // Longer than a server waits for the lock (10 s): writes fail meanwhile and are answered as such.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const during = holder.taps.count(gates[0]?.terminalId as TerminalId);
    holder.db.raw.exec('COMMIT');
    holder.close();
    const sent = await sending;
    // Nothing was stored while the lock was held: the terminals kept their taps and sent them again.
    expect(during).toBe(DAYS * 2);
    expect(servers.every((server) => server?.child.exitCode === null)).toBe(true);

    const store = ServerStore.open(database);
    try {
      const expected = TERMINALS * (DAYS + 2);
      await waitFor(
        'the held-up taps stored, built and accepted',
        () => {
          const records = store.queries.records(T1, { limit: 1000, offset: 0 });
          return records.length === expected && records.every((r) => r.ccus?.state === 'accepted');
        },
        60_000,
      );
      for (const [i, gate] of gates.entries()) expect(store.taps.count(gate.terminalId)).toBe(sent[i]);
      expect(simulator.feesYen).toBe(expected * 10);
    } finally {
      store.close();
    }
  }, 240_000);
});
