import { parseWorkerId } from '@ccus-gate/protocol';
import {
  AlertSubscriptionStore,
  ChangeFeedStore,
  type EngineKind,
  EnrolmentStore,
  execute,
  type StoreEngine,
  WorkerLinkStore,
} from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';

const WORKER = parseWorkerId('11110000000001');
const actor = { tenantId: 'tenant-a', companyId: '90000000000001', name: '山田' };
const other = { tenantId: 'tenant-b', companyId: '90000000000002', name: '佐藤' };

function* books(engine: StoreEngine) {
  const { db } = engine;
  for (const tenant of [actor, other]) yield* tenantWithSite(engine, { ...tenant });

  yield* execute(
    db
      .insertInto('workers')
      .values({ worker_id: WORKER, tenant_id: actor.tenantId, name: '技能者', trades: '["とび"]' }),
  );
  yield* execute(
    db.insertInto('terminals').values({
      terminal_id: 'gate-a',
      tenant_id: actor.tenantId,
      secret_hash: 'x',
      created_at: '2026-01-01T00:00:00Z',
    }),
  );
}

/** Enrolments, worker links, the polled change feed and alert subscriptions on both engines, through the same code. */
describe.each(ENGINES)('the smaller stores on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  const clock = { value: new Date('2026-11-24T03:00:00.000Z') };
  const later = (ms: number) => {
    clock.value = new Date(clock.value.getTime() + ms);
  };
  let engine: StoreEngine;

  beforeEach(async () => {
    clock.value = new Date('2026-11-24T03:00:00.000Z');
    engine = await engines.open(kind, () => clock.value);
    await engine.transaction(() => books(engine));
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  it('issues a worker link for the tenant’s own worker, finds its holder, and revokes it', async () => {
    const links = new WorkerLinkStore(engine);
    const { link, token } = await links.issue(actor, WORKER, 30);
    expect(link).toMatchObject({ workerId: WORKER, createdBy: '山田', revokedAt: null });
    expect(await links.holder(token)).toMatchObject({ workerId: WORKER, tenantId: 'tenant-a', tenantName: '山田' });
    await expect(Promise.resolve().then(() => links.issue(other, WORKER, 30))).rejects.toMatchObject({
      code: 'not_found',
    });
    for (let i = 0; i < 4; i++) await links.issue(actor, WORKER, 30);
    await expect(Promise.resolve().then(() => links.issue(actor, WORKER, 30))).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await links.revoke(actor, link.id)).revokedAt).not.toBeNull();
    expect(await links.holder(token)).toBeNull();
    expect(await links.links(actor, WORKER)).toHaveLength(5);
  });

  it('binds the next unknown card tapped at the terminal, only for its tenant, until it expires', async () => {
    const enrolments = new EnrolmentStore(engine);
    await expect(
      Promise.resolve().then(() => enrolments.request(other, 'gate-a', WORKER, 60_000)),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await enrolments.request(actor, 'gate-a', WORKER, 60_000);
    expect(await enrolments.due('gate-a')).toBeNull();
    later(1000);
    await engine.transaction(function* () {
      yield* execute(
        engine.db.insertInto('taps').values({
          terminal_id: 'gate-a',
          seq: 1,
          site_id: 's',
          tech: 'felica',
          card_id: '0A0B0C0D0E0F0102',
          worker_id: null,
          direction: 'in',
          at: clock.value.toISOString(),
          at_ms: clock.value.getTime(),
          working_day: '2026-11-24',
          boot_id: 'b',
          mono: 1,
          clock_synced: 1,
          flags: '[]',
          received_at: clock.value.toISOString(),
        }),
      );
    });
    expect(await enrolments.due('gate-a')).toMatchObject({
      enrolment: { workerId: WORKER, actor: { name: '山田' } },
      card: { tech: 'felica', id: '0A0B0C0D0E0F0102' },
    });
    expect(await enrolments.waiting(actor)).toHaveLength(1);
    await enrolments.finish('gate-a');
    expect(await enrolments.due('gate-a')).toBeNull();
  });

  it('feeds one server’s changes to the others, and forgets old ones', async () => {
    const feed = new ChangeFeedStore(engine);
    const start = await feed.last();
    await feed.note('server-a', { kind: 'taps', terminalId: 'gate-a' });
    await feed.note('server-b', { kind: 'records', siteIds: ['s1', 's2'] });
    expect((await feed.since(start, 'server-a', 10)).map((fed) => fed.change)).toEqual([
      { kind: 'records', siteIds: ['s1', 's2'] },
    ]);
    later(60_000);
    expect(await feed.prune(clock.value.toISOString())).toBe(2);
    expect(await feed.since(start, 'server-c', 10)).toEqual([]);
  });

  it('delivers each alert once per subscription that wants it, retrying, then giving up', async () => {
    const alerts = new AlertSubscriptionStore(engine);
    const { subscription } = await alerts.subscribe(actor, {
      channel: 'email',
      target: 'ops@example.jp',
      kinds: ['terminal_offline'],
      lang: 'ja',
    });
    const offline = {
      kind: 'terminal_offline' as const,
      severity: 'bad' as const,
      terminalId: 'gate-a',
      count: 1,
      since: '2026-11-24T01:00:00.000Z',
    };
    const disk = { ...offline, kind: 'terminal_disk' as const };
    expect(await alerts.offer(actor, [offline, disk], '2026-11-24')).toBe(1);
    expect(await alerts.offer(actor, [offline], '2026-11-24')).toBe(0);
    expect(await alerts.tenantsSubscribed()).toEqual([
      { tenantId: 'tenant-a', companyId: '90000000000001', sites: null },
    ]);
    const [due] = await alerts.due(10);
    expect(due).toMatchObject({
      tenantId: 'tenant-a',
      alert: offline,
      attempts: 0,
      subscription: { id: subscription.id },
    });
    await alerts.markFailed(due?.id as number, 'SMTP 451', new Date(clock.value.getTime() + 60_000).toISOString());
    expect(await alerts.due(10)).toEqual([]);
    later(60_000);
    await alerts.markFailed(due?.id as number, 'SMTP 550', null);
    expect(await alerts.deliveries(actor)).toMatchObject([{ state: 'failed', attempts: 2, lastError: 'SMTP 550' }]);
    await alerts.unsubscribe(actor, subscription.id);
    expect(await alerts.subscriptions(actor)).toEqual([]);
  });
});
