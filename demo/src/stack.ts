import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTerminal, systemClock, type Terminal, TerminalStore } from '@ccus-gate/firmware';
import { RecordingOutput, SimulatedDisplay, SimulatedReader } from '@ccus-gate/hardware';
import {
  type CardRef,
  parseCardRef,
  parseCompanyId,
  parseSiteId,
  parseTerminalId,
  parseWorkerId,
  type SiteId,
  type TerminalId,
  type WorkerId,
} from '@ccus-gate/protocol';
import {
  CcusSimulator,
  createServer,
  type EmbeddedBroker,
  generateSecret,
  HttpCcusGateway,
  type HttpListener,
  hashPassword,
  listenHttp,
  type RosterPlace,
  ServerStore,
  type SyncServer,
  startEmbeddedBroker,
} from '@ccus-gate/server';
import type { Logger } from 'pino';
import { registerDemoSiteOnCcus, registerDemoWorkersOnCcus } from './ccus-setup.js';

export interface StackOptions {
  dataDir: string;
  host: string;
  httpPort: number;
  mqttPort: number;
  ccusPort: number;
  log: Logger;
  /** Called for each output change of the simulated terminal (LEDs, buzzer, relay). */
  onOutput?: (output: string, on: boolean) => void;
}

export interface DemoWorker {
  workerId: WorkerId;
  name: string;
  card: CardRef;
  /** Registered trades (職種), and the worker's place on the demo site's roster. */
  trades: string[];
  place: Partial<RosterPlace>;
}

export interface Stack {
  server: SyncServer;
  serverStore: ServerStore;
  terminal: Terminal;
  terminalStore: TerminalStore;
  reader: SimulatedReader;
  outputs: Record<'green' | 'red' | 'buzzer' | 'relay', RecordingOutput>;
  display: SimulatedDisplay;
  simulator: CcusSimulator;
  broker: EmbeddedBroker;
  http: HttpListener;
  ccusHttp: HttpListener;
  demo: {
    tenantId: string;
    siteId: SiteId;
    timeZone: string;
    terminalId: TerminalId;
    apiToken: string;
    /** The dashboard's demo sign-in. */
    signIn: { login: string; password: string };
    workers: DemoWorker[];
  };
  close(): Promise<void>;
}

/** A port that is taken, named for the one-line error the CLI prints. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly which: 'http' | 'mqtt' | 'ccus';
  readonly port: number;

  constructor(which: 'http' | 'mqtt' | 'ccus', port: number) {
    super(`${which} port ${port} is already in use`);
    this.which = which;
    this.port = port;
  }
}

async function listening<T>(which: 'http' | 'mqtt' | 'ccus', port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') throw new PortInUseError(which, port);
    throw error;
  }
}

const SITE_ID = parseSiteId('20260001000001');
const TERMINAL_ID = parseTerminalId('demo-gate-01');
const TENANT_ID = 'demo';
const COMPANY_ID = '10000000000099';
const WORKERS: DemoWorker[] = [
  {
    workerId: parseWorkerId('10000000000001'),
    name: '山田 太郎',
    card: parseCardRef('012E4CD3A1B2C3D4'),
    trades: ['とび', '土工'],
    place: { trade: 'とび', position: 'foreman', workContent: '足場組立' },
  },
  {
    workerId: parseWorkerId('10000000000002'),
    name: '佐藤 花子',
    card: parseCardRef('04A2B3C4'),
    trades: ['型枠'],
    place: { trade: '型枠', position: null, workContent: '型枠組立' },
  },
  {
    workerId: parseWorkerId('10000000000003'),
    name: '鈴木 一郎',
    card: parseCardRef('04A2B3C4D5E6F7'),
    trades: ['鉄筋'],
    place: { trade: '鉄筋', position: 'leader', workContent: '配筋' },
  },
];

interface DemoSecrets {
  apiToken: string;
  terminalPassword: string;
  servicePassword: string;
  /** The dashboard sign-in (login DEMO_LOGIN); absent in data folders from before the dashboard. */
  dashboardPassword?: string;
}

const DEMO_LOGIN = 'demo';

/** Creates the demo tenant, site, terminal and workers once; later starts reuse them. */
function seed(store: ServerStore, secretsPath: string): DemoSecrets {
  if (existsSync(secretsPath)) return JSON.parse(readFileSync(secretsPath, 'utf8')) as DemoSecrets;
  const secrets: DemoSecrets = {
    apiToken: generateSecret('ccg'),
    terminalPassword: generateSecret('cgt'),
    servicePassword: generateSecret('cgs'),
  };
  store.directory.createTenant({
    tenantId: TENANT_ID,
    companyId: parseCompanyId(COMPANY_ID),
    name: 'デモ建設株式会社',
  });
  store.directory.createApiToken(TENANT_ID, 'admin', 'demo', secrets.apiToken);
  store.directory.createSite({
    siteId: SITE_ID,
    tenantId: TENANT_ID,
    name: 'デモ現場 (東京)',
    rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
  });
  store.directory.createTerminal({
    terminalId: TERMINAL_ID,
    tenantId: TENANT_ID,
    siteId: SITE_ID,
    secret: secrets.terminalPassword,
    hardwareProfile: 'simulated',
  });
  for (const worker of WORKERS) {
    store.directory.addWorker({
      workerId: worker.workerId,
      tenantId: TENANT_ID,
      name: worker.name,
      trades: worker.trades,
    });
    store.directory.addToRoster(SITE_ID, worker.workerId, worker.place);
    store.directory.addCard(worker.card, worker.workerId);
  }
  // Only the demo keeps its secrets in a file; a real deployment hands them out once.
  writeFileSync(secretsPath, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** The demo tenant's dashboard user, added once (also to a data folder made before the dashboard). */
async function seedDashboardUser(store: ServerStore, secrets: DemoSecrets, secretsPath: string): Promise<string> {
  if (secrets.dashboardPassword !== undefined && store.directory.userForSignIn(DEMO_LOGIN) !== null) {
    return secrets.dashboardPassword;
  }
  const password = generateSecret('demo').slice(0, 17);
  store.directory.createUser(TENANT_ID, {
    login: DEMO_LOGIN,
    name: 'デモ管理者',
    role: 'admin',
    passwordHash: await hashPassword(password),
  });
  writeFileSync(secretsPath, JSON.stringify({ ...secrets, dashboardPassword: password }, null, 2), { mode: 0o600 });
  return password;
}

/**
 * The whole system on one machine: embedded broker, sync server, CCUS simulator and one
 * simulated terminal, each over its real socket and its own SQLite file.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { log } = options;
  mkdirSync(options.dataDir, { recursive: true });
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  };
  try {
    const serverStore = ServerStore.open(join(options.dataDir, 'server.db'));
    cleanups.push(() => serverStore.close());
    const secretsPath = join(options.dataDir, 'demo-secrets.json');
    const secrets = seed(serverStore, secretsPath);
    const dashboardPassword = await seedDashboardUser(serverStore, secrets, secretsPath);

    const simulator = new CcusSimulator();
    const ccusHttp = await listening('ccus', options.ccusPort, () =>
      listenHttp(simulator.app, { host: options.host, port: options.ccusPort }),
    );
    cleanups.push(() => ccusHttp.close());
    await registerDemoWorkersOnCcus(ccusHttp.url, COMPANY_ID, WORKERS);

    const service = { username: 'ccus-gate-server', password: secrets.servicePassword };
    const broker = await listening('mqtt', options.mqttPort, () =>
      startEmbeddedBroker({
        host: options.host,
        port: options.mqttPort,
        stores: serverStore,
        service,
        log: log.child({ module: 'server:broker' }),
      }),
    );
    cleanups.push(() => broker.close());

    const server = createServer({
      stores: serverStore,
      broker: { url: broker.url, ...service },
      ccus: new HttpCcusGateway(ccusHttp.url),
      clock: { now: () => new Date() },
      log: log.child({ module: 'server' }),
    });
    const http = await listening('http', options.httpPort, () =>
      listenHttp(server.app, { host: options.host, port: options.httpPort }),
    );
    cleanups.push(() => http.close());
    await server.start();
    cleanups.push(() => server.stop());
    // The simulator is in memory: each start registers the site and its roster on it again.
    await registerDemoSiteOnCcus(http.url, secrets.apiToken, SITE_ID);

    const terminalStore = TerminalStore.open(join(options.dataDir, 'terminal', 'terminal.db'));
    cleanups.push(() => terminalStore.close());
    const reader = new SimulatedReader('sim');
    const output = (name: string): RecordingOutput =>
      new RecordingOutput(name, undefined, (change) => options.onOutput?.(change.output, change.on));
    const outputs = { green: output('green'), red: output('red'), buzzer: output('buzzer'), relay: output('relay') };
    // What the gate's display would show a worker, kept (and narrated) like the outputs.
    const display = new SimulatedDisplay();
    const terminal = createTerminal({
      terminalId: TERMINAL_ID,
      // Terminal and server share this machine's clock, so it counts as synchronised.
      clock: systemClock({ assumeSynced: true }),
      store: terminalStore,
      readers: [reader],
      outputs,
      display,
      transport: { url: broker.url, password: secrets.terminalPassword },
      log: log.child({ module: 'terminal' }),
    });
    const ready = Promise.all([
      once(terminal, 'connected'),
      terminalStore.rosterVersion() !== null ? Promise.resolve() : once(terminal, 'rosterApplied'),
    ]);
    await terminal.start();
    cleanups.push(() => terminal.stop());
    // The demo takes input only once its terminal knows the workers; a real terminal never waits.
    await Promise.race([
      ready,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error('the terminal did not connect and receive its roster within 10 s')),
          10_000,
        ).unref(),
      ),
    ]);

    return {
      server,
      serverStore,
      terminal,
      terminalStore,
      reader,
      outputs,
      display,
      simulator,
      broker,
      http,
      ccusHttp,
      demo: {
        tenantId: TENANT_ID,
        siteId: SITE_ID,
        timeZone: 'Asia/Tokyo',
        terminalId: TERMINAL_ID,
        apiToken: secrets.apiToken,
        signIn: { login: DEMO_LOGIN, password: dashboardPassword },
        workers: WORKERS,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
