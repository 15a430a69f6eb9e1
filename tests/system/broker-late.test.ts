import { join } from 'node:path';
import { parseCardRef, parseTerminalId, parseWorkerId } from '@ccus-gate/protocol';
import {
  CcusSimulator,
  type HttpListener,
  listenHttp,
  mosquittoAcl,
  mosquittoHash,
  ServerStore,
} from '@ccus-gate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningMosquitto, startMosquitto } from '../support/mosquitto.js';
import { startClusterServer } from '../support/server-cluster.js';
import { seedGate } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import type { TerminalProcess } from '../support/terminal-process.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * `serve` started before Mosquitto is up, as at a machine's boot when Mosquitto is slow or was
 * being upgraded: the server serves its pages and API at once, says it is waiting for the
 * broker, and joins it when it comes; taps sent then are stored and acked. It used to exit,
 * and systemd restarted it every two seconds, the dashboard down the while.
 */
describe('a server started before its broker', () => {
  const dir = tempDir('broker-late');
  const service = { username: 'ccus-gate-server-0', password: 'service-secret-for-tests' };
  const terminalId = parseTerminalId('gate-late');
  const card = '04A2B3C4D5E6F7';
  const database = join(dir.path, 'server.db');
  let password: string;
  let operator: string;
  let port: number;
  let ccus: HttpListener;
  let server: TerminalProcess;
  let httpUrl: string;
  let mosquitto: RunningMosquitto | undefined;
  let terminal: TestTerminal | undefined;

  const metrics = async (): Promise<string> => {
    const response = await fetch(`${httpUrl}/api/v1/fleet/metrics`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(response.status).toBe(200);
    return await response.text();
  };

  beforeAll(async () => {
    const store = ServerStore.open(database);
    const seeded = await seedGate(store, {
      terminals: [terminalId],
      workers: [{ workerId: parseWorkerId('12345678901234'), card: parseCardRef(card) }],
    });
    password = seeded.passwords.get(terminalId) as string;
    operator = store.directory.createApiToken(null, 'operator', 'fleet');
    store.close();
    ccus = await listenHttp(new CcusSimulator().app, { host: '127.0.0.1', port: 0 });
    // Where Mosquitto will listen: nothing does yet.
    port = await freePort();
    server = await startClusterServer(dir.path, 0, {
      database,
      mosquittoUrl: `mqtt://127.0.0.1:${port}`,
      service,
      ccusUrl: ccus.url,
    });
    const started = await server.waitForLine('the server to start', (line) => line.msg === 'sync server started');
    httpUrl = String(started.http);
  }, 90_000);

  afterAll(async () => {
    await terminal?.stop();
    await server?.kill('SIGTERM');
    await mosquitto?.stop();
    await ccus?.close();
    dir.remove();
  });

  it('serves at once, says it waits for the broker, and reports it unreachable in its metrics', async () => {
    const waiting = await server.waitForLine(
      'the server to say it waits',
      (line) => /broker/.test(line.msg) && line.level === 40,
    );
    expect(waiting.msg).toMatch(/not reachable/);
    expect(waiting.broker).toBe(`mqtt://127.0.0.1:${port}`);
    expect(await metrics()).toMatch(/^ccus_gate_broker_connected 0$/m);
    expect(server.child.exitCode).toBeNull();
  });

  it('joins Mosquitto when it comes up, and stores and acks the taps a terminal sends then', async () => {
    mosquitto = await startMosquitto(
      dir.path,
      [service, { username: terminalId, password }].map((a) => `${a.username}:${mosquittoHash(a.password)}`).join('\n'),
      { acl: mosquittoAcl([service.username]), port },
    );
    await server.waitForLine('the server to subscribe', (line) => line.msg === 'subscribed to terminal topics');
    // A new broker holds no roster: the server publishes every terminal's, and says when Mosquitto has them.
    const published = await server.waitForLine(
      'the rosters published',
      (line) => line.msg === 'rosters and configs published',
    );
    expect(published).toMatchObject({ terminals: 1, sites: 1 });
    await waitForAsync('the metrics to say connected', async () =>
      /^ccus_gate_broker_connected 1$/m.test(await metrics()),
    );
    terminal = await startTestTerminal({
      dir: dir.path,
      url: mosquitto.url,
      terminalId,
      password,
      clock: testClock('2026-11-24T00:00:00Z'),
    });
    await waitFor(`the terminal to connect (${mosquitto.log()})`, () => terminal?.terminal.sync.connected);
    // The server published the site's roster, retained, as it joined the broker.
    await waitFor('the roster', () => terminal?.store.rosterVersion() !== null);
    expect(terminal.tap(card).kind).toBe('entry');
    await waitFor('the tap acked', () => terminal?.store.counts().pending === 0);
    expect(terminal.store.counts()).toMatchObject({ delivered: 1, rejected: 0 });
    const store = ServerStore.open(database);
    try {
      expect(store.taps.count(terminalId)).toBe(1);
    } finally {
      store.close();
    }
    expect(server.child.exitCode).toBeNull();
  });

  it('still refuses to start, naming why, when the broker is up but refuses its account', async () => {
    const wrong = await startClusterServer(dir.path, 1, {
      database,
      mosquittoUrl: mosquitto?.url as string,
      service: { username: service.username, password: 'not-its-password' },
      ccusUrl: ccus.url,
    }).catch((error: Error) => error);
    expect(wrong).toBeInstanceOf(Error);
    expect(String(wrong)).toMatch(/Not authorized|Bad user name or password/);
  });
});
