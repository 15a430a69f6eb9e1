import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type CardRef,
  decodeMessage,
  parseCardRef,
  parseSiteId,
  parseTerminalId,
  parseWorkerId,
  type SiteId,
  type TapBatch,
  type TerminalId,
  type WorkerId,
} from '@ccus-gate/protocol';
import {
  type Answer,
  clientAddressOf,
  createHttpApi,
  type EngineKind,
  ServerStore,
  SignInLimiter,
  type SqliteEngine,
  type StoreEngine,
  type TerminalAssignment,
  type UpdatesSetup,
} from '@ccus-gate/server';

export interface TapSpec {
  card: CardRef;
  /** What the terminal's roster said; null for a card it did not know. */
  workerId: WorkerId | null;
  direction: 'in' | 'out';
  at: string;
  clockSynced?: boolean;
  /** Monotonic time; by default as if the terminal booted on 2020-01-01 with its clock right. */
  mono?: number;
}

export interface TenantFixture {
  tenantId: string;
  companyId: string;
  siteId: SiteId;
  terminalId: TerminalId;
  worker: WorkerId;
  card: CardRef;
  unknownCard: CardRef;
  admin: string;
  viewer: string;
}

export interface ApiFixture<E extends StoreEngine = SqliteEngine> {
  store: ServerStore<E>;
  app: ReturnType<typeof createHttpApi>;
  /** The API's budget of failed sign-ins, which the dashboard shares. */
  limiter: SignInLimiter;
  /** What the API asked of the broker side. */
  effects: { rosters: string[]; configs: string[]; recordKicks: number; commands: string[] };
  now: { value: Date };
  operator: string;
  a: TenantFixture;
  b: TenantFixture;
  /** A subcontractor tenant on tenant A's site, with its own employee there. */
  sub: { tenantId: string; companyId: string; admin: string; worker: WorkerId; card: CardRef };
  /** Stores taps from a terminal as its batch would, then builds their records. */
  tap(terminalId: TerminalId, taps: TapSpec[]): Answer<E, void>;
  /** Answers once the records any change queued are built, as the server's builder would. */
  call(token: string, method: string, path: string, body?: unknown): Promise<Response>;
  close(): void | Promise<void>;
}

type FixtureOptions = { trustedProxies?: string[]; updates?: UpdatesSetup };

/**
 * The fixture's steps, written once: each yields a store call's answer and is given it back,
 * so on SQLite they run to the end at once (`runNow`), on PostgreSQL awaiting each (`runLater`).
 */
// biome-ignore lint/suspicious/noExplicitAny: each step's answer is typed where it is received.
type Steps<T> = Generator<unknown, T, any>;

function runNow<T>(steps: Steps<T>): T {
  let step = steps.next();
  while (step.done !== true) step = steps.next(step.value);
  return step.value;
}

async function runLater<T>(steps: Steps<T>): Promise<T> {
  let step = steps.next();
  while (step.done !== true) step = steps.next(await step.value);
  return step.value;
}

const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';
const BOOTED_AT = Date.parse('2020-01-01T00:00:00Z');

/**
 * Two unrelated contractors (A and B), each prime of its own site with a leased terminal,
 * a worker with a card, taps and records; and a subcontractor under A on A's site.
 * The clock is fixed at 2026-11-24 12:00 JST unless a test moves it. On SQLite; apiFixtureOn
 * makes the same on either engine.
 */
export function apiFixture(dir: string, options: FixtureOptions = {}): ApiFixture {
  const now = { value: new Date('2026-11-24T03:00:00.000Z') };
  const store = ServerStore.open(join(dir, 'server.db'), () => now.value);
  return runNow(seededFixture(store, now, runNow, options));
}

/**
 * The same fixture on either engine; on PostgreSQL, in the fresh database at `postgresUrl`
 * (tests/support/store-engines.ts makes one).
 */
export async function apiFixtureOn(
  kind: EngineKind,
  dir: string,
  options: FixtureOptions & { postgresUrl?: string } = {},
): Promise<ApiFixture<StoreEngine>> {
  if (kind === 'sqlite') return apiFixture(dir, options) as unknown as ApiFixture<StoreEngine>;
  if (options.postgresUrl === undefined) throw new Error('apiFixtureOn: a PostgreSQL fixture needs postgresUrl');
  const now = { value: new Date('2026-11-24T03:00:00.000Z') };
  const store = await ServerStore.openPostgres(options.postgresUrl, { now: () => now.value, poolSize: 4 });
  return (await runLater(seededFixture(store, now, runLater, options))) as ApiFixture<StoreEngine>;
}

function* seededFixture<E extends StoreEngine>(
  store: ServerStore<E>,
  now: { value: Date },
  run: <T>(steps: Steps<T>) => T | Promise<T>,
  options: FixtureOptions,
): Steps<ApiFixture<E>> {
  /** Records being built after a change, which a call waits for before it answers. */
  let building: Promise<unknown> = Promise.resolve();
  const effects = { rosters: [] as string[], configs: [] as string[], recordKicks: 0, commands: [] as string[] };
  const limiter = new SignInLimiter();
  const app = createHttpApi(store, {
    now: () => now.value,
    broker: { url: 'mqtts://broker.example:8883' },
    limiter,
    addressOf: clientAddressOf(options.trustedProxies),
    ...(options.updates === undefined ? {} : { updates: options.updates }),
    effects: {
      rosterChanged: (sites) => effects.rosters.push(...sites),
      configChanged: (terminals) => effects.configs.push(...terminals),
      recordsQueued: () => {
        effects.recordKicks++;
        building = Promise.resolve(building).then(() => store.records.rebuildQueued(10_000));
      },
      sendCommand: (terminalId, command) => {
        effects.commands.push(`${terminalId}:${command}`);
        return randomUUID();
      },
    },
  });
  const dirStore = store.directory;
  const operator: string = yield dirStore.createApiToken(null, 'operator', 'fleet');
  let seq = 0;

  function* tapSteps(terminalId: TerminalId, taps: TapSpec[]): Steps<void> {
    const batch: TapBatch = {
      v: 1,
      terminalId,
      batchId: randomUUID(),
      sentAt: now.value.toISOString(),
      taps: taps.map((t) => {
        seq++;
        return {
          seq,
          card: t.card,
          workerId: t.workerId,
          direction: t.direction,
          at: t.at,
          bootId: BOOT,
          // One boot whose clock runs true: monotonic time keeps step with wall time.
          mono: t.mono ?? Math.max(0, Date.parse(t.at) - BOOTED_AT),
          clockSynced: t.clockSynced ?? true,
          flags: t.workerId === null ? ['unknown_card'] : [],
        };
      }),
    } as TapBatch;
    // What ingest does with a valid batch; on SQLite at once, so that a fixture can tap
    // between two lines of a test without awaiting.
    const terminal: TerminalAssignment | null = yield store.directory.terminal(terminalId);
    if (terminal?.siteId == null || terminal.rule === null) throw new Error(`fixture: ${terminalId} is not leased`);
    const stored: { rejected: unknown[] } = yield store.taps.storeBatch(
      { ...terminal, siteId: terminal.siteId, rule: terminal.rule },
      decodeMessage('taps', JSON.stringify(batch)),
    );
    if (stored.rejected.length > 0) throw new Error(`fixture taps refused: ${JSON.stringify(stored.rejected)}`);
    yield store.records.rebuildQueued(10_000);
  }
  const tap = (terminalId: TerminalId, taps: TapSpec[]) => run(tapSteps(terminalId, taps)) as Answer<E, void>;

  function* tenant(
    name: string,
    n: number,
    ids: { worker: string; card: string; unknown: string },
  ): Steps<TenantFixture> {
    const tenantId = `tenant-${name}`;
    const companyId = `9000000000000${n}`;
    yield dirStore.createTenant({ tenantId, companyId, name: `${name} 建設` });
    const siteId = parseSiteId(`2026000000000${n}`);
    yield dirStore.createSite({
      siteId,
      tenantId,
      name: `現場 ${name}`,
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
    });
    const terminalId = parseTerminalId(`gate-${name}`);
    yield dirStore.createTerminal({ terminalId, tenantId, siteId });
    const worker = parseWorkerId(ids.worker);
    yield dirStore.addWorker({ workerId: worker, tenantId, name: `技能者 ${name}`, trades: ['とび'] });
    yield dirStore.addToRoster(siteId, worker);
    const card = parseCardRef(ids.card);
    yield dirStore.addCard(card, worker);
    const admin: string = yield dirStore.createApiToken(tenantId, 'admin', `${name} admin`);
    const viewer: string = yield dirStore.createApiToken(tenantId, 'viewer', `${name} viewer`);
    const fixture: TenantFixture = {
      tenantId,
      companyId,
      siteId,
      terminalId,
      worker,
      card,
      unknownCard: parseCardRef(ids.unknown),
      admin,
      viewer,
    };
    yield* tapSteps(terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-20T07:50:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-20T17:10:00.000+09:00' },
      { card: fixture.unknownCard, workerId: null, direction: 'in', at: '2026-11-20T07:55:00.000+09:00' },
    ]);
    return fixture;
  }

  const a = yield* tenant('a', 1, { worker: '11110000000001', card: '0101010101010101', unknown: 'A1A1A1A1' });
  const b = yield* tenant('b', 2, { worker: '22220000000002', card: '0202020202020202', unknown: 'B2B2B2B2' });

  const subCompany = '90000000000009';
  yield dirStore.createTenant({ tenantId: 'tenant-sub', companyId: subCompany, name: '下請 工業' });
  const subScope = { tenantId: 'tenant-sub', companyId: subCompany };
  const aScope = { tenantId: a.tenantId, companyId: a.companyId };
  yield dirStore.putSiteCompany(aScope, a.siteId, {
    companyId: subCompany,
    name: '下請 工業',
    tier: 1,
    parentCompanyId: a.companyId,
  });
  const subWorker = parseWorkerId('33330000000003');
  yield dirStore.addWorker({ workerId: subWorker, tenantId: 'tenant-sub', name: '技能者 下請', trades: ['型枠'] });
  const subCard = parseCardRef('0303030303030303');
  yield dirStore.addCard(subCard, subWorker);
  yield dirStore.addToRoster(a.siteId, subWorker, {}, subScope);
  yield* tapSteps(a.terminalId, [
    { card: subCard, workerId: subWorker, direction: 'in', at: '2026-11-20T08:00:00.000+09:00' },
  ]);
  const subAdmin: string = yield dirStore.createApiToken('tenant-sub', 'admin', 'sub admin');

  return {
    store,
    app,
    limiter,
    effects,
    now,
    operator,
    a,
    b,
    sub: {
      tenantId: 'tenant-sub',
      companyId: subCompany,
      admin: subAdmin,
      worker: subWorker,
      card: subCard,
    },
    tap,
    async call(token, method, path, body) {
      const response = await app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      await building;
      return response;
    },
    close() {
      return store.close();
    },
  };
}
