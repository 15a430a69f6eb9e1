import { readFileSync, statSync } from 'node:fs';
import { parseTerminalId } from '@ccus-gate/protocol';
import {
  CcusSimulator,
  createServer,
  HttpCcusGateway,
  type HttpListener,
  listenHttp,
  MosquittoAccounts,
  mosquittoAcl,
  mosquittoHash,
  type ServerStore,
  type SyncServer,
} from '@ccus-gate/server';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { storeWithSite, T1 } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

/**
 * A real Mosquitto with the shipped config and ACL: the sync server joins it with its
 * service account, a terminal sends taps through it, and a terminal can neither speak for
 * another nor listen to another's branch.
 */
describe('external broker: Mosquitto', () => {
  const dir = tempDir('mosquitto');
  const service = { username: 'ccus-gate-server', password: 'service-secret-for-tests' };
  const a = parseTerminalId('gate-m1');
  const b = parseTerminalId('gate-m2');
  let store: ServerStore;
  let mosquitto: RunningMosquitto;
  let server: SyncServer;
  let http: HttpListener;
  let ccus: HttpListener;
  let secretA: string;
  let secretB: string;
  let operator: string;
  let terminal: TestTerminal | undefined;
  const clients: MqttClient[] = [];

  async function connected(options: IClientOptions): Promise<MqttClient> {
    // No retries: a refused or dropped connection rejects, and the client is ended.
    const client = await connectAsync(mosquitto.url, { protocolVersion: 4, reconnectPeriod: 0, ...options }, false);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    const seeded = storeWithSite(dir.path);
    store = seeded.store;
    secretA = store.directory.createTerminal({ terminalId: a, tenantId: 't1', siteId: seeded.siteId });
    secretB = store.directory.createTerminal({ terminalId: b, tenantId: 't1', siteId: seeded.siteId });
    operator = store.directory.createApiToken(null, 'operator', 'fleet');
    // Mosquitto starts with only the server's account; the server writes the terminals' in.
    mosquitto = await startMosquitto(dir.path, `${service.username}:${mosquittoHash(service.password)}\n`);
    const simulator = new CcusSimulator();
    ccus = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
    server = createServer({
      stores: store,
      broker: { url: mosquitto.url, ...service, clientId: service.username },
      ccus: new HttpCcusGateway(ccus.url),
      clock: { now: () => new Date() },
      log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
      brokerAccounts: new MosquittoAccounts({
        passwordFile: mosquitto.passwordFile,
        pidFile: mosquitto.pidFile,
        services: [service],
      }),
    });
    http = await listenHttp(server.app, { host: '127.0.0.1', port: 0 });
    await server.start();
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await terminal?.stop();
    await server?.stop();
    await http?.close();
    await ccus?.close();
    await mosquitto?.stop();
    store?.close();
    dir.remove();
  });

  it('runs as its own user, as in production, reading the password file the server keeps through its group', async () => {
    const pid = Number(readFileSync(mosquitto.pidFile, 'utf8').trim());
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    const mosquittoUid = Number(
      readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .find((line) => line.startsWith('mosquitto:'))
        ?.split(':')[2],
    );
    expect(uid).toBe(process.getuid?.() === 0 ? mosquittoUid : process.getuid?.());
    // The server rewrites the file when a terminal is created: still readable by Mosquitto's group.
    const response = await fetch(`${http.url}/api/v1/fleet/terminals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ terminalId: 'gate-m9', hardwareProfile: 'pi-rc522-spi' }),
    });
    expect(response.status).toBe(201);
    await waitFor('the password file rewritten', () =>
      readFileSync(mosquitto.passwordFile, 'utf8').includes('gate-m9:'),
    );
    expect((statSync(mosquitto.passwordFile).mode & 0o777).toString(8)).toBe('640');
    // That Mosquitto, reloaded, lets terminals in with it: the tests below.
  });

  it('ships the ACL the server generates', () => {
    expect(readFileSync(new URL('../../server/deploy/mosquitto/acl', import.meta.url), 'utf8')).toBe(
      mosquittoAcl([service.username]),
    );
  });

  it("carries a terminal's taps to the server and its acks back", async () => {
    await waitFor(`the password file to reach Mosquitto (${mosquitto.log()})`, () =>
      readFileSync(mosquitto.passwordFile, 'utf8').includes(`${a}:$7$`),
    );
    const clock = testClock('2026-11-24T00:00:00Z');
    terminal = await startTestTerminal({ dir: dir.path, url: mosquitto.url, terminalId: a, password: secretA, clock });
    await waitFor(`the terminal to connect (${mosquitto.log()})`, () => terminal?.terminal.sync.connected);
    terminal.tap('04A2B3C4');
    await waitFor('the tap to be delivered', () => terminal?.store.counts().pending === 0);
    expect(store.queries.taps(T1, { limit: 10, offset: 0 })).toHaveLength(1);
  });

  it('closes a terminal that sends a packet over the shipped max_packet_size, and the server stores nothing of it', async () => {
    const client = await connected({ clientId: b, username: b, password: secretB });
    const before = store.quarantineLog.all().length;
    const gone = new Promise<void>((resolve) => client.stream.once('close', () => resolve()));
    client.publish(`ccus/v1/t/${b}/taps`, Buffer.alloc(8_500_000, 'x'), { qos: 0 });
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.quarantineLog.all().length).toBe(before);
    // The same terminal connects again and is heard.
    const again = await connected({ clientId: b, username: b, password: secretB });
    expect(again.connected).toBe(true);
  });

  it('refuses a wrong password', async () => {
    await expect(connected({ clientId: a, username: a, password: 'wrong' })).rejects.toThrow(
      /Not authorized|Bad user/i,
    );
  });

  it("lets a terminal hear nothing from another terminal's branch, whatever it subscribes to", async () => {
    const client = await connected({ username: b, password: secretB });
    const heard: { topic: string; payload: string }[] = [];
    client.on('message', (topic, payload) => heard.push({ topic, payload: payload.toString() }));
    // Mosquitto 2.0 may grant these in its SUBACK; its ACL then filters every delivery.
    for (const filter of [`ccus/v1/t/${a}/ack`, 'ccus/v1/t/+/roster', '#', `ccus/v1/t/${b}/roster`]) {
      await client.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
    }
    // Traffic on A's branch: a roster and an ack.
    server.publishSiteRoster(store.directory.terminal(a)?.siteId as never);
    terminal?.tap('012E4CD3A1B2C3D4');
    await waitFor('the second tap to be delivered', () => terminal?.store.counts().pending === 0);
    await waitFor("B's own retained roster", () => heard.some((m) => m.topic === `ccus/v1/t/${b}/roster`));
    expect(heard.filter((m) => !m.topic.startsWith(`ccus/v1/t/${b}/`))).toEqual([]);
  });

  it("drops what a terminal publishes outside its branch or on the server's leaves", async () => {
    const client = await connected({ username: b, password: secretB });
    const heard: string[] = [];
    await client.subscribeAsync(`ccus/v1/t/${b}/roster`, { qos: 1 });
    client.on('message', (_topic, payload) => heard.push(payload.toString()));
    const taps = store.queries.taps(T1, { limit: 100, offset: 0 }).length;
    const forged = JSON.stringify({
      v: 1,
      terminalId: a,
      batchId: '0b8e2f4a-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
      sentAt: new Date().toISOString(),
      taps: [],
    });
    await client.publishAsync(`ccus/v1/t/${a}/taps`, forged, { qos: 1 });
    await client.publishAsync(`ccus/v1/t/${b}/roster`, '{"forged":true}', { qos: 1 });
    // Its own taps topic still works: proof that the forged ones above were dropped, not slow.
    const before = store.quarantineLog.all().length;
    await client.publishAsync(`ccus/v1/t/${b}/taps`, '{"not":"a batch"}', { qos: 1 });
    await waitFor('the server to quarantine the own-branch message', () => store.quarantineLog.all().length > before);
    expect(store.quarantineLog.all().map((q) => q.topic)).toEqual([`ccus/v1/t/${b}/taps`]);
    expect(store.queries.taps(T1, { limit: 100, offset: 0 })).toHaveLength(taps);
    expect(heard.filter((payload) => payload.includes('forged'))).toEqual([]);
  });

  it('lets a terminal provisioned through the API connect at once: the server rewrites the password file and reloads Mosquitto', async () => {
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${http.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect(
      (await call('POST', '/api/v1/fleet/terminals', { terminalId: 'gate-m3', hardwareProfile: 'pi-pn532-uart' }))
        .status,
    ).toBe(201);
    expect((await call('PUT', '/api/v1/fleet/terminals/gate-m3/lease', { tenantId: 't1', siteId: '11' })).status).toBe(
      200,
    );
    const bundle = (await (await call('POST', '/api/v1/fleet/terminals/gate-m3/provisioning')).json()) as {
      password: string;
    };
    // The reload is a signal, so the first attempt may come just before Mosquitto reread its file.
    let client: MqttClient | undefined;
    for (const started = Date.now(); client === undefined && Date.now() - started < 5_000; ) {
      client = await connected({ username: 'gate-m3', password: bundle.password }).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    expect(client?.connected, mosquitto.log()).toBe(true);
  });
});
