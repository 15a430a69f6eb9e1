import { get } from 'node:https';
import { parseTerminalId } from '@ccus-gate/protocol';
import {
  CcusSimulator,
  createServer,
  type EmbeddedBroker,
  HttpCcusGateway,
  type HttpListener,
  listenHttp,
  type ServerStore,
  type SyncServer,
  startEmbeddedBroker,
} from '@ccus-gate/server';
import { connect } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeWithSite, T1 } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { makeTestCa, type TestCa } from '../support/test-ca.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

/** The embedded broker and the HTTP API over TLS, with a CA made for the test. */
describe('TLS', () => {
  const dir = tempDir('tls');
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const service = { username: 'ccus-gate-server', password: 'service-secret' };
  const terminalId = parseTerminalId('gate-tls-01');
  let tls: TestCa;
  let store: ServerStore;
  let broker: EmbeddedBroker;
  let server: SyncServer;
  let https: HttpListener;
  let ccus: HttpListener;
  let password: string;
  let terminal: TestTerminal | undefined;

  beforeAll(async () => {
    tls = makeTestCa(dir.path);
    const seeded = storeWithSite(dir.path);
    store = seeded.store;
    password = store.directory.createTerminal({ terminalId, tenantId: 't1', siteId: seeded.siteId });
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, stores: store, service, log, tls });
    ccus = await listenHttp(new CcusSimulator().app, { host: '127.0.0.1', port: 0 });
    server = createServer({
      stores: store,
      broker: { url: broker.url, ...service, ca: tls.ca },
      ccus: new HttpCcusGateway(ccus.url),
      clock: { now: () => new Date() },
      log,
    });
    https = await listenHttp(server.app, { host: '127.0.0.1', port: 0, tls });
    await server.start();
  }, 60_000);

  afterAll(async () => {
    await terminal?.stop();
    await server?.stop();
    await https?.close();
    await ccus?.close();
    await broker?.close();
    store?.close();
    dir.remove();
  });

  it('connects a terminal over mqtts with the CA and delivers its taps', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\//);
    terminal = await startTestTerminal({
      dir: dir.path,
      url: broker.url,
      terminalId,
      password,
      clock: testClock('2026-11-24T00:00:00Z'),
      ca: tls.ca,
    });
    await waitFor('the terminal to connect over TLS', () => terminal?.terminal.sync.connected);
    terminal.tap('04A2B3C4');
    await waitFor('the tap to be delivered', () => terminal?.store.counts().pending === 0);
    expect(store.queries.taps(T1, { limit: 10, offset: 0 })).toHaveLength(1);
  });

  it('refuses a client that does not trust the certificate, and one that speaks plain MQTT', async () => {
    const attempt = (url: string, ca?: string) =>
      new Promise<string>((resolve) => {
        const client = connect(url, {
          clientId: terminalId,
          username: terminalId,
          password,
          reconnectPeriod: 0,
          connectTimeout: 2_000,
          ...(ca === undefined ? {} : { ca }),
        });
        client.once('connect', () => {
          client.end(true);
          resolve('connected');
        });
        client.once('error', (error) => {
          client.end(true);
          resolve(error.message);
        });
        client.once('close', () => resolve('closed'));
      });
    expect(await attempt(broker.url)).toMatch(/self.signed|unable to verify|certificate/i);
    expect(await attempt(broker.url.replace('mqtts:', 'mqtt:'))).not.toBe('connected');
  });

  it('does not start a server that does not trust the broker certificate, and names why', async () => {
    const untrusting = createServer({
      stores: store,
      broker: { url: broker.url, ...service, clientId: 'ccus-gate-server-untrusting' },
      ccus: new HttpCcusGateway(ccus.url),
      clock: { now: () => new Date() },
      log,
    });
    // Not a broker that is only not up yet, to wait for: a fault to mend.
    await expect(untrusting.start()).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    await untrusting.stop();
  });

  it('serves the HTTP API over HTTPS', async () => {
    expect(https.url).toMatch(/^https:\/\//);
    const body = await new Promise<string>((resolve, reject) => {
      get(`${https.url}/healthz`, { ca: tls.ca }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve(`${response.statusCode} ${text}`));
      }).on('error', reject);
    });
    expect(body).toBe('200 {"ok":true}');
    const untrusted = await new Promise<string>((resolve) => {
      get(`${https.url}/healthz`, () => resolve('answered')).on('error', (error) => resolve(error.message));
    });
    expect(untrusted).toMatch(/self.signed|unable to verify|certificate/i);
  });
});
