import {
  type CardRef,
  parseCardRef,
  parseTerminalId,
  parseWorkerId,
  type Roster,
  type SiteId,
  type TerminalId,
  type WorkerId,
} from '@ccus-gate/protocol';
import {
  CcusSimulator,
  createServer,
  DEFAULT_TERMINAL_SETTINGS,
  type EmbeddedBroker,
  type ForwarderOptions,
  HttpCcusGateway,
  type HttpListener,
  listenHttp,
  type ServerDeps,
  type ServerStore,
  type SyncServer,
  startEmbeddedBroker,
} from '@ccus-gate/server';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { answeringLater } from './answering-later.js';
import { storeWithSite, T1 } from './server-fixture.js';

export interface SyncServerHarness {
  store: ServerStore;
  siteId: SiteId;
  terminalId: TerminalId;
  terminalPassword: string;
  workers: { workerId: WorkerId; card: CardRef }[];
  /** What a test terminal needs to reach this server as its registered terminal. */
  terminalConnection(): { url: string; terminalId: TerminalId; password: string };
  /** A raw MQTT client with the terminal's credentials (MQTT 3.1.1, no reconnecting). */
  terminalClient(): Promise<MqttClient>;
  /** The roster the server would send its terminal, version 1. */
  roster(): Roster;
  service: { username: string; password: string };
  /** The broker's URL; the same across `stopBroker` and `startBroker`. */
  readonly url: string;
  server: SyncServer;
  simulator: CcusSimulator;
  ccusUrl: string;
  /** Stops the broker (an outage) while the server keeps its store. */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The sync server as a terminal sees it: a real aedes broker on a free port, the ingest
 * writing to a real SQLite file, and the CCUS simulator over HTTP. One terminal and two
 * workers with cards are registered at site 11.
 */
export async function startSyncServer(
  dir: string,
  options: {
    forwarder?: ForwarderOptions;
    ccusTimeoutMs?: number;
    ccusNow?: () => Date;
    answerLater?: boolean;
    alerts?: ServerDeps['alerts'];
    /**
     * false: CCUS knows the workers (each registered for とび by employer 1) but not the site, so
     * the server must register it; true (default): the site's roster is already set in CCUS.
     */
    siteOnCcus?: boolean;
    /** Over-the-air updates: where releases are kept and the operator's key. */
    updates?: ServerDeps['updates'];
  } = {},
): Promise<SyncServerHarness> {
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const { store, siteId } = storeWithSite(dir);
  const terminalId = parseTerminalId('gate-test-01');
  const terminalPassword = store.directory.createTerminal({ terminalId, tenantId: 't1', siteId });
  // Test terminals tap the same card many times a second; the server's config says so too.
  store.directory.setTerminalSettings(T1, terminalId, { ...DEFAULT_TERMINAL_SETTINGS, debounceSeconds: 0 });
  const workers = [
    { workerId: parseWorkerId('10000000000001'), card: parseCardRef('012E4CD3A1B2C3D4') },
    { workerId: parseWorkerId('10000000000002'), card: parseCardRef('04A2B3C4') },
  ];
  for (const worker of workers) {
    store.directory.addWorker({
      workerId: worker.workerId,
      tenantId: 't1',
      name: `worker ${worker.workerId}`,
      trades: ['とび'],
    });
    store.directory.addToRoster(siteId, worker.workerId);
    store.directory.addCard(worker.card, worker.workerId);
  }
  const simulator = new CcusSimulator(options.ccusNow === undefined ? {} : { now: options.ccusNow });
  if (options.siteOnCcus === false) {
    for (const w of workers)
      simulator.registerWorker(w.workerId, ['とび'], { name: `worker ${w.workerId}`, employerCompanyId: '1' });
  } else {
    simulator.setRoster(
      siteId,
      workers.map((w) => ({ workerId: w.workerId, trades: ['とび'] })),
    );
  }
  const ccusHttp: HttpListener = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
  const service = { username: 'ccus-gate-server', password: 'service-secret' };
  // The server's own parts (ingest, broker, records, forwarder, API) may see a repository that answers later.
  const repository = options.answerLater ? answeringLater(store, ['directory', 'queries', 'corrections']) : store;
  let port = 0;
  let broker: EmbeddedBroker | null = null;
  const startBroker = async (): Promise<void> => {
    broker = await startEmbeddedBroker({ host: '127.0.0.1', port, stores: repository, service, log });
    port = broker.port;
  };
  await startBroker();
  const url = `mqtt://127.0.0.1:${port}`;
  const server = createServer({
    stores: repository,
    broker: { url, ...service },
    ccus: new HttpCcusGateway(
      ccusHttp.url,
      options.ccusTimeoutMs === undefined ? {} : { timeoutMs: options.ccusTimeoutMs },
    ),
    clock: { now: () => new Date() },
    log,
    forwarder: { pollMs: 100, ...options.forwarder },
    ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
    ...(options.updates === undefined ? {} : { updates: options.updates }),
  });
  await server.start();
  return {
    store,
    siteId,
    terminalId,
    terminalPassword,
    workers,
    terminalConnection: () => ({ url, terminalId, password: terminalPassword }),
    terminalClient: () =>
      connectAsync(
        url,
        {
          clientId: terminalId,
          username: terminalId,
          password: terminalPassword,
          protocolVersion: 4,
          reconnectPeriod: 0,
        },
        false,
      ),
    roster: () => ({
      v: 1,
      siteId,
      version: 1,
      issuedAt: new Date().toISOString(),
      entries: workers.map(({ card, workerId }) => ({ card, workerId })),
    }),
    service,
    url,
    server,
    simulator,
    ccusUrl: ccusHttp.url,
    async stopBroker() {
      await broker?.close();
      broker = null;
    },
    startBroker,
    async close() {
      await server.stop();
      await broker?.close();
      await ccusHttp.close();
      store.close();
    },
  };
}
