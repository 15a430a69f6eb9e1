import { randomUUID } from 'node:crypto';
import { parseCardRef, parseTerminalId, parseWorkerId } from '@ccus-gate/protocol';
import {
  CcusSimulator,
  createServer,
  HttpCcusGateway,
  type HttpListener,
  listenHttp,
  mosquittoAcl,
  mosquittoHash,
  type ServerStore,
  type SyncServer,
} from '@ccus-gate/server';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { storeWithSite } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/**
 * Two sync servers on one Mosquitto split the terminals' batches through an MQTT 5 shared
 * subscription: each batch is stored and acked once, by one of them.
 */
describe('several sync servers sharing the ingest', () => {
  const dir = tempDir('shared');
  const services = [
    { username: 'ccus-gate-server', password: 'first-secret' },
    { username: 'ccus-gate-server-2', password: 'second-secret' },
  ];
  const terminalId = parseTerminalId('gate-shared');
  let store: ServerStore;
  let mosquitto: RunningMosquitto;
  let ccus: HttpListener;
  const servers: SyncServer[] = [];
  let client: MqttClient;
  let password: string;

  beforeAll(async () => {
    const seeded = storeWithSite(dir.path);
    store = seeded.store;
    password = store.directory.createTerminal({ terminalId, tenantId: 't1', siteId: seeded.siteId });
    const worker = parseWorkerId('10000000000001');
    store.directory.addWorker({ workerId: worker, tenantId: 't1', name: 'w' });
    store.directory.addToRoster(seeded.siteId, worker);
    store.directory.addCard(parseCardRef('04A2B3C4'), worker);
    const passwords = [
      ...services.map((s) => `${s.username}:${mosquittoHash(s.password)}`),
      `${terminalId}:${mosquittoHash(password)}`,
    ].join('\n');
    mosquitto = await startMosquitto(dir.path, `${passwords}\n`, {
      acl: mosquittoAcl(services.map((s) => s.username)),
    });
    ccus = await listenHttp(new CcusSimulator().app, { host: '127.0.0.1', port: 0 });
    for (const service of services) {
      // One database here: in a fleet, several servers share PostgreSQL the same way.
      const server = createServer({
        stores: store,
        broker: { url: mosquitto.url, ...service, clientId: service.username, sharedGroup: 'ingest' },
        ccus: new HttpCcusGateway(ccus.url),
        clock: { now: () => new Date() },
        log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      });
      await server.start();
      servers.push(server);
    }
    client = await connectAsync(
      mosquitto.url,
      { username: terminalId, password, protocolVersion: 4, reconnectPeriod: 0 },
      false,
    );
  }, 120_000);

  afterAll(async () => {
    client?.end(true);
    for (const server of servers) await server.stop();
    await ccus?.close();
    await mosquitto?.stop();
    store?.close();
    dir.remove();
  });

  it('stores and acks each batch once, on one server or the other, and both take a share', async () => {
    const handled = servers.map(() => 0);
    servers.forEach((server, i) => {
      server.on('batch', () => {
        handled[i] = (handled[i] ?? 0) + 1;
      });
    });
    const acks: string[] = [];
    client.on('message', (_topic, payload) => acks.push(String(JSON.parse(payload.toString()).batchId)));
    await client.subscribeAsync(`ccus/v1/t/${terminalId}/ack`, { qos: 1 });
    const sent: string[] = [];
    for (let seq = 1; seq <= 40; seq++) {
      const batchId = randomUUID();
      sent.push(batchId);
      const at = new Date(Date.parse('2026-11-24T00:00:00Z') + seq * 60_000).toISOString();
      const tap = {
        seq,
        card: { tech: 'mifare', id: '04A2B3C4' },
        workerId: '10000000000001',
        direction: seq % 2 ? 'in' : 'out',
        at,
        bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
        mono: seq,
        clockSynced: true,
        flags: [],
      };
      await client.publishAsync(
        `ccus/v1/t/${terminalId}/taps`,
        JSON.stringify({ v: 1, terminalId, batchId, sentAt: at, taps: [tap] }),
        { qos: 1 },
      );
    }
    await waitFor(`40 acks (${mosquitto.log()})`, () => acks.length >= 40);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...acks].sort()).toEqual([...sent].sort());
    expect((handled[0] ?? 0) + (handled[1] ?? 0)).toBe(40);
    expect(handled.every((n) => n > 0)).toBe(true);
    expect(store.taps.count(terminalId)).toBe(40);
  });
});
