import {
  CcusForwarder,
  type CcusGateway,
  CcusSimulator,
  type EngineKind,
  HttpCcusGateway,
  type HttpListener,
  listenHttp,
  type StoreEngine,
} from '@ccus-gate/server';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixtureOn } from '../support/api-fixture.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * Several servers forwarding from one database: a record being sent is one server's claim
 * until it runs out, so each record goes to CCUS once, and a stalled or dead server's records
 * are taken over when their claims run out, not before.
 */
describe.each(ENGINES)('forwarders sharing one outbox on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture<StoreEngine>;
  let simulator: CcusSimulator;
  let ccus: HttpListener;
  const forwarders: CcusForwarder[] = [];
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

  beforeEach(async () => {
    dir = tempDir('claims');
    f = await apiFixtureOn(kind, dir.path, kind === 'postgres' ? { postgresUrl: await engines.postgresUrl() } : {});
    simulator = new CcusSimulator({ now: () => f.now.value });
    simulator.setRoster(f.a.siteId, [
      { workerId: f.a.worker, trades: ['とび'] },
      { workerId: f.sub.worker, trades: ['型枠'] },
    ]);
    simulator.setRoster(f.b.siteId, [{ workerId: f.b.worker, trades: ['とび'] }]);
    ccus = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    for (const forwarder of forwarders.splice(0)) await Promise.race([forwarder.stop(), sleep(200)]);
    await ccus.close();
    await f.close();
    dir.remove();
  });
  afterAll(() => engines.close());

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const forwarder = (owner: string, gateway: CcusGateway = new HttpCcusGateway(ccus.url)) => {
    const made = new CcusForwarder({
      stores: f.store,
      gateway,
      log,
      now: () => f.now.value,
      owner,
      claimLeaseMs: 60_000,
      pollMs: 20,
      ratePerSecond: 1000,
    });
    forwarders.push(made);
    return made;
  };
  /** Tenant A's records (its subcontractor's included) and tenant B's. */
  const records = async () => {
    let sum = 0;
    for (const tenant of [f.a, f.b]) sum += (await f.store.queries.records(tenant, { limit: 100, offset: 0 })).length;
    return sum;
  };
  const accepted = async () => {
    let sum = 0;
    for (const tenant of [f.a, f.b]) {
      sum += (await f.store.queries.records(tenant, { state: 'accepted', limit: 100, offset: 0 })).length;
    }
    return sum;
  };
  const sending = async () => (await f.store.queries.records(f.a, { state: 'sending', limit: 10, offset: 0 })).length;

  it('does not send again what another server is sending when a second one starts', async () => {
    const total = await records();
    expect(total).toBe(3);
    // CCUS answers slowly: the first server is mid-send when the second starts.
    simulator.failWith({ kind: 'timeout', delayMs: 400, stored: true });
    await forwarder('server-a').start();
    await waitFor('the first send under way', () => simulator.requests >= 1);
    await forwarder('server-b').start();
    await waitForAsync('all accepted', async () => (await accepted()) === total);
    await sleep(300);
    expect(simulator.requests).toBe(total);
    expect([...simulator.records.values()].map((r) => r.submissions)).toEqual([1, 1, 1]);
  });

  it("takes over a stalled server's records once its claims run out, and not before", async () => {
    const total = await records();
    // This server's CCUS never answers: it holds its claims and stalls, as if frozen.
    const stalled = forwarder('server-a', { submit: () => new Promise(() => {}) });
    await stalled.start();
    await waitForAsync('records claimed', async () => (await sending()) > 0);
    await forwarder('server-b').start();
    await sleep(300);
    expect(simulator.requests).toBe(0);

    f.now.value = new Date(f.now.value.getTime() + 61_000);
    await waitForAsync('all accepted by the second', async () => (await accepted()) === total);
    expect(simulator.requests).toBe(total);
  });

  it('takes back at once what it was sending itself when it restarts under the same name', async () => {
    const total = await records();
    const before = forwarder('server-a', { submit: () => new Promise(() => {}) });
    await before.start();
    await waitForAsync('records claimed', async () => (await sending()) > 0);
    // The process is gone; the same server starts again, with the clock where it was.
    await forwarder('server-a').start();
    await waitForAsync('all accepted after the restart', async () => (await accepted()) === total);
  });
});
