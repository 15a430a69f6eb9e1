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
import { clientAddressOf, createHttpApi, ServerStore, SignInLimiter, type UpdatesSetup } from '@ccus-gate/server';
import { answeringLater } from './answering-later.js';

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

export interface ApiFixture {
  store: ServerStore;
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
  tap(terminalId: TerminalId, taps: TapSpec[]): void;
  call(token: string, method: string, path: string, body?: unknown): Promise<Response>;
  close(): void;
}

const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';
const BOOTED_AT = Date.parse('2020-01-01T00:00:00Z');

/**
 * Two unrelated contractors (A and B), each prime of its own site with a leased terminal,
 * a worker with a card, taps and records; and a subcontractor under A on A's site.
 * The clock is fixed at 2026-11-24 12:00 JST unless a test moves it. With `answerLater`, the
 * API runs on a repository that answers every call later, as PostgreSQL would.
 */
export function apiFixture(
  dir: string,
  options: { answerLater?: boolean; trustedProxies?: string[]; updates?: UpdatesSetup } = {},
): ApiFixture {
  const now = { value: new Date('2026-11-24T03:00:00.000Z') };
  const store = ServerStore.open(join(dir, 'server.db'), () => now.value);
  const effects = { rosters: [] as string[], configs: [] as string[], recordKicks: 0, commands: [] as string[] };
  const repository = options.answerLater ? answeringLater(store, ['directory', 'queries', 'corrections']) : store;
  const limiter = new SignInLimiter();
  const app = createHttpApi(repository, {
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
        store.records.rebuildQueued(10_000);
      },
      sendCommand: (terminalId, command) => {
        effects.commands.push(`${terminalId}:${command}`);
        return randomUUID();
      },
    },
  });
  const dirStore = store.directory;
  const operator = dirStore.createApiToken(null, 'operator', 'fleet');
  let seq = 0;

  const tap = (terminalId: TerminalId, taps: TapSpec[]): void => {
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
    // What ingest does with a valid batch, through the store's synchronous SQLite API, so
    // that a fixture can tap between two lines of a test without awaiting.
    const terminal = store.directory.terminal(terminalId);
    if (terminal?.siteId == null || terminal.rule === null) throw new Error(`fixture: ${terminalId} is not leased`);
    const stored = store.taps.storeBatch(
      { ...terminal, siteId: terminal.siteId, rule: terminal.rule },
      decodeMessage('taps', JSON.stringify(batch)),
    );
    if (stored.rejected.length > 0) throw new Error(`fixture taps refused: ${JSON.stringify(stored.rejected)}`);
    store.records.rebuildQueued(10_000);
  };

  const tenant = (name: string, n: number, ids: { worker: string; card: string; unknown: string }): TenantFixture => {
    const tenantId = `tenant-${name}`;
    const companyId = `9000000000000${n}`;
    dirStore.createTenant({ tenantId, companyId, name: `${name} 建設` });
    const siteId = parseSiteId(`2026000000000${n}`);
    dirStore.createSite({
      siteId,
      tenantId,
      name: `現場 ${name}`,
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
    });
    const terminalId = parseTerminalId(`gate-${name}`);
    dirStore.createTerminal({ terminalId, tenantId, siteId });
    const worker = parseWorkerId(ids.worker);
    dirStore.addWorker({ workerId: worker, tenantId, name: `技能者 ${name}`, trades: ['とび'] });
    dirStore.addToRoster(siteId, worker);
    const card = parseCardRef(ids.card);
    dirStore.addCard(card, worker);
    const fixture: TenantFixture = {
      tenantId,
      companyId,
      siteId,
      terminalId,
      worker,
      card,
      unknownCard: parseCardRef(ids.unknown),
      admin: dirStore.createApiToken(tenantId, 'admin', `${name} admin`),
      viewer: dirStore.createApiToken(tenantId, 'viewer', `${name} viewer`),
    };
    tap(terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-20T07:50:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-20T17:10:00.000+09:00' },
      { card: fixture.unknownCard, workerId: null, direction: 'in', at: '2026-11-20T07:55:00.000+09:00' },
    ]);
    return fixture;
  };

  const a = tenant('a', 1, { worker: '11110000000001', card: '0101010101010101', unknown: 'A1A1A1A1' });
  const b = tenant('b', 2, { worker: '22220000000002', card: '0202020202020202', unknown: 'B2B2B2B2' });

  const subCompany = '90000000000009';
  dirStore.createTenant({ tenantId: 'tenant-sub', companyId: subCompany, name: '下請 工業' });
  const subScope = { tenantId: 'tenant-sub', companyId: subCompany };
  const aScope = { tenantId: a.tenantId, companyId: a.companyId };
  dirStore.putSiteCompany(aScope, a.siteId, {
    companyId: subCompany,
    name: '下請 工業',
    tier: 1,
    parentCompanyId: a.companyId,
  });
  const subWorker = parseWorkerId('33330000000003');
  dirStore.addWorker({ workerId: subWorker, tenantId: 'tenant-sub', name: '技能者 下請', trades: ['型枠'] });
  const subCard = parseCardRef('0303030303030303');
  dirStore.addCard(subCard, subWorker);
  dirStore.addToRoster(a.siteId, subWorker, {}, subScope);
  tap(a.terminalId, [{ card: subCard, workerId: subWorker, direction: 'in', at: '2026-11-20T08:00:00.000+09:00' }]);

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
      admin: dirStore.createApiToken('tenant-sub', 'admin', 'sub admin'),
      worker: subWorker,
      card: subCard,
    },
    tap,
    call(token, method, path, body) {
      return Promise.resolve(
        app.request(path, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        }),
      );
    },
    close() {
      store.close();
    },
  };
}
