import {
  CcusForwarder,
  type CcusGateway,
  CcusSimulator,
  HttpCcusGateway,
  type HttpListener,
  listenHttp,
} from '@ccus-gate/server';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/**
 * Several servers forwarding from one database: a record being sent is one server's claim
 * until it runs out, so each record goes to CCUS once, and a stalled or dead server's records
 * are taken over when their claims run out, not before.
 */
describe('forwarders sharing one outbox', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  let simulator: CcusSimulator;
  let ccus: HttpListener;
  const forwarders: CcusForwarder[] = [];
  const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

  beforeEach(async () => {
    dir = tempDir('claims');
    f = apiFixture(dir.path);
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
    f.close();
    dir.remove();
  });

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
  const records = () =>
    [f.a, f.b].reduce((sum, tenant) => sum + f.store.queries.records(tenant, { limit: 100, offset: 0 }).length, 0);
  const accepted = () =>
    [f.a, f.b].flatMap((tenant) => f.store.queries.records(tenant, { state: 'accepted', limit: 100, offset: 0 }));

  it('does not send again what another server is sending when a second one starts', async () => {
    const total = records();
    expect(total).toBe(3);
    // CCUS answers slowly: the first server is mid-send when the second starts.
    simulator.failWith({ kind: 'timeout', delayMs: 400, stored: true });
    await forwarder('server-a').start();
    await waitFor('the first send under way', () => simulator.requests >= 1);
    await forwarder('server-b').start();
    await waitFor('all accepted', () => accepted().length === total);
    await sleep(300);
    expect(simulator.requests).toBe(total);
    expect([...simulator.records.values()].map((r) => r.submissions)).toEqual([1, 1, 1]);
  });

  it("takes over a stalled server's records once its claims run out, and not before", async () => {
    const total = records();
    // This server's CCUS never answers: it holds its claims and stalls, as if frozen.
    const stalled = forwarder('server-a', { submit: () => new Promise(() => {}) });
    await stalled.start();
    await waitFor(
      'records claimed',
      () => f.store.queries.records(f.a, { state: 'sending', limit: 10, offset: 0 }).length > 0,
    );
    await forwarder('server-b').start();
    await sleep(300);
    expect(simulator.requests).toBe(0);

    f.now.value = new Date(f.now.value.getTime() + 61_000);
    await waitFor('all accepted by the second', () => accepted().length === total);
    expect(simulator.requests).toBe(total);
  });

  it('takes back at once what it was sending itself when it restarts under the same name', async () => {
    const total = records();
    const before = forwarder('server-a', { submit: () => new Promise(() => {}) });
    await before.start();
    await waitFor(
      'records claimed',
      () => f.store.queries.records(f.a, { state: 'sending', limit: 10, offset: 0 }).length > 0,
    );
    // The process is gone; the same server starts again, with the clock where it was.
    await forwarder('server-a').start();
    await waitFor('all accepted after the restart', () => accepted().length === total);
  });
});
