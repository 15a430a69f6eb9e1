import { join } from 'node:path';
import { parseCardRef, parseTerminalId, parseWorkerId } from '@ccus-gate/protocol';
import {
  CcusSimulator,
  createServer,
  type EmbeddedBroker,
  type EngineKind,
  HttpCcusGateway,
  type HttpListener,
  hashPassword,
  listenHttp,
  ServerStore,
  type StoreEngine,
  type SyncServer,
  startEmbeddedBroker,
} from '@ccus-gate/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSender } from '../support/batch-sender.js';
import { seedGate } from '../support/server-fixture.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, testClock } from '../support/test-terminal.js';
import { WebClient } from '../support/web-client.js';

/**
 * Two servers on one database, each with its own connection: a browser on one of them sees
 * live the taps and terminal status the other stored, through the change feed (polled from
 * a table on SQLite, LISTEN/NOTIFY on PostgreSQL).
 */
describe.each(ENGINES)('live pages across servers on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  const dir = tempDir('change-feed');
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const terminalId = parseTerminalId('gate-feed');
  const worker = { workerId: parseWorkerId('10000000000001'), card: parseCardRef('04A2B3C4') };
  const stores: ServerStore<StoreEngine>[] = [];
  const brokers: EmbeddedBroker[] = [];
  const servers: SyncServer[] = [];
  let ccus: HttpListener;
  let password = '';
  let office: WebClient;

  beforeAll(async () => {
    const database = kind === 'postgres' ? await engines.postgresUrl() : join(dir.path, 'server.db');
    const open = async () =>
      kind === 'postgres' ? await ServerStore.openPostgres(database) : ServerStore.open(database);
    const first = await open();
    const seeded = await seedGate(first, { terminals: [terminalId], workers: [worker] });
    password = seeded.passwords.get(terminalId) as string;
    await first.directory.createUser('t1', {
      login: 'office',
      name: 'office',
      role: 'admin',
      passwordHash: await hashPassword('office password 2026'),
    });
    stores.push(first, await open());
    ccus = await listenHttp(new CcusSimulator().app, { host: '127.0.0.1', port: 0 });
    for (const [i, store] of stores.entries()) {
      const service = { username: 'ccus-gate-server', password: `service-${i}` };
      // Each its own broker here: the terminal reaches only the first server, the browser only the second.
      const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, stores: store, service, log });
      brokers.push(broker);
      const server = createServer({
        stores: store,
        broker: { url: broker.url, ...service },
        ccus: new HttpCcusGateway(ccus.url),
        clock: { now: () => new Date() },
        log,
        changeFeed:
          kind === 'postgres'
            ? { serverId: `server-${i}`, postgresUrl: database }
            : { serverId: `server-${i}`, pollMs: 50 },
      });
      await server.start();
      servers.push(server);
    }
    office = new WebClient((servers[1] as SyncServer).app);
    expect((await office.signIn('office', 'office password 2026')).status).toBe(303);
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const broker of brokers) await broker.close();
    for (const store of stores) await store.close();
    await ccus?.close();
    dir.remove();
    await engines.close();
  });

  const stream = async (path: string) => {
    const response = await office.request('GET', path);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const next = async (): Promise<string> => decoder.decode((await reader.read()).value);
    expect(await next()).toContain('data: hello');
    const within = (ms: number) =>
      Promise.race([next(), new Promise<string>((resolve) => setTimeout(() => resolve('nothing'), ms))]);
    return { within, close: () => reader.cancel() };
  };

  it('refreshes the Today page on one server when the other stores a tap at the site', async () => {
    const today = await stream('/live?view=today&site=11');
    const terminal = await BatchSender.connect((brokers[0] as EmbeddedBroker).url, terminalId, password);
    const ack = await terminal.send([
      { card: worker.card, workerId: worker.workerId, direction: 'in', at: new Date().toISOString() },
    ]);
    expect(ack.error).toBeNull();
    expect(await today.within(5_000)).toBe('event: change\ndata: \n\n');
    await terminal.close();
    await today.close();
  });

  it('refreshes the Terminals page on one server when a terminal reports its status to the other', async () => {
    const terminals = await stream('/live?view=terminals');
    // Only the first server hears the terminal: its status reaches the second through the feed.
    const terminal = await startTestTerminal({
      dir: dir.path,
      url: (brokers[0] as EmbeddedBroker).url,
      terminalId,
      password,
      clock: testClock(new Date().toISOString()),
    });
    expect(await terminals.within(5_000)).toBe('event: change\ndata: \n\n');
    await terminal.stop();
    await terminals.close();
  });
});
