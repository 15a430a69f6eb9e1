import { CcusOutbox, type EngineKind, type RecordKey, rows, type StoreEngine } from '@ccus-gate/server';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';

/** A tenant and its site: what a claim reads besides the outbox (the company CCUS is told). */
const books = (engine: StoreEngine) =>
  tenantWithSite(engine, { tenantId: 'tenant-1', companyId: 'company-1', siteId: 'site-1', dayBoundary: '05:00' });

const COALESCE_MS = 10 * 60_000;
const LEASE_MS = 60_000;
const key = (workerId: string, workingDay = '2026-11-30'): RecordKey => ({ siteId: 'site-1', workerId, workingDay });
const content = (firstIn: string | null, lastOut: string | null = null) => ({
  firstIn,
  lastOut,
  trade: 'とび',
  position: null,
});

/**
 * The CCUS outbox's whole lifecycle on both engines, through the same code: each record goes
 * once, changes are coalesced, the exit goes at once, claims run out and are taken over, and
 * what a person must fix waits for them.
 */
describe.each(ENGINES)('the CCUS outbox on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  const clock = { value: new Date('2026-11-30T08:00:00Z') };
  const now = () => clock.value;
  const later = (ms: number) => {
    clock.value = new Date(clock.value.getTime() + ms);
  };
  let engine: StoreEngine;
  let outbox: CcusOutbox;

  beforeEach(async () => {
    clock.value = new Date('2026-11-30T08:00:00Z');
    engine = await engines.open(kind, now);
    await engine.transaction(() => books(engine));
    outbox = new CcusOutbox(engine, { coalesceMs: COALESCE_MS });
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  const stateOf = async (workerId: string) =>
    (
      await engine.run(
        rows(
          engine.db
            .selectFrom('ccus_outbox')
            .select(['state', 'attempts', 'claimed_by', 'held_reason', 'last_error', 'receipt'])
            .where('worker_id', '=', workerId),
        ),
      )
    )[0];

  it('sends a new record at once, once, with its company, and keeps it accepted when nothing changed', async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    const [item, ...none] = await outbox.claimDue(10, 'server-a', LEASE_MS);
    expect(none).toEqual([]);
    expect(item).toMatchObject({
      ...key('w1'),
      idempotencyKey: 'site-1:w1:2026-11-30',
      companyId: 'company-1',
      attempts: 1,
      firstIn: '2026-11-30T08:00:00.000Z',
      lastOut: null,
    });
    expect(await outbox.claimDue(10, 'server-b', LEASE_MS)).toEqual([]);
    await outbox.markAccepted(key('w1'), 'R-1', 'server-a');
    expect(await stateOf('w1')).toMatchObject({ state: 'accepted', receipt: 'R-1', claimed_by: null });
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    later(COALESCE_MS);
    expect(await outbox.claimDue(10, 'server-a', LEASE_MS)).toEqual([]);
    expect((await stateOf('w1'))?.state).toBe('accepted');
  });

  it('coalesces changes after a send, but sends the exit at once', async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    await outbox.claimDue(10, 'server-a', LEASE_MS);
    await outbox.markAccepted(key('w1'), 'R-1', 'server-a');
    later(60_000);
    // A trade corrected: it waits for the window after the last send.
    await outbox.offer(key('w1'), { ...content('2026-11-30T08:00:00.000Z'), trade: '型枠' }, null);
    expect(await outbox.claimDue(10, 'server-a', LEASE_MS)).toEqual([]);
    // The exit completes the record: it goes now, with the correction.
    await outbox.offer(
      key('w1'),
      { ...content('2026-11-30T08:00:00.000Z', '2026-11-30T17:00:00.000Z'), trade: '型枠' },
      null,
    );
    const [item] = await outbox.claimDue(10, 'server-a', LEASE_MS);
    expect(item).toMatchObject({ lastOut: '2026-11-30T17:00:00.000Z', trade: '型枠', attempts: 2 });
  });

  it('sends again a record that changed while it was being sent', async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    await outbox.claimDue(10, 'server-a', LEASE_MS);
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z', '2026-11-30T17:00:00.000Z'), null);
    expect((await stateOf('w1'))?.state).toBe('sending');
    await outbox.markAccepted(key('w1'), 'R-1', 'server-a');
    expect((await stateOf('w1'))?.state).toBe('pending');
    later(COALESCE_MS);
    expect(await outbox.claimDue(10, 'server-a', LEASE_MS)).toMatchObject([{ lastOut: '2026-11-30T17:00:00.000Z' }]);
  });

  it('keeps held and refused records for a person, and sends them once released', async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), 'clock_unsynced');
    await outbox.offer(key('w2'), content('2026-11-30T08:00:00.000Z'), null);
    const [sent] = await outbox.claimDue(10, 'server-a', LEASE_MS);
    expect(sent?.workerId).toBe('w2');
    await outbox.markRefused(key('w2'), 'not_on_roster: not registered', 'server-a');
    // A later build of the refused record does not send it again by itself.
    await outbox.offer(key('w2'), content('2026-11-30T08:00:00.000Z', '2026-11-30T17:00:00.000Z'), null);
    expect(await stateOf('w1')).toMatchObject({ state: 'held', held_reason: 'clock_unsynced' });
    expect(await stateOf('w2')).toMatchObject({ state: 'refused', last_error: 'not_on_roster: not registered' });
    expect(await outbox.claimDue(10, 'server-a', LEASE_MS)).toEqual([]);
    await outbox.release(key('w1'), ['held']);
    await outbox.release(key('w2'), ['refused']);
    await outbox.release(key('w2'), []);
    const again = await outbox.claimDue(10, 'server-a', LEASE_MS);
    expect(again.map((item) => [item.workerId, item.attempts]).sort()).toEqual([
      ['w1', 1],
      ['w2', 1],
    ]);
  });

  it('retries at the time given, and gives back an attempt never made', async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    await outbox.claimDue(10, 'server-a', LEASE_MS);
    await outbox.markRetry(key('w1'), 'CCUS circuit open', now(), 'server-a', false);
    expect(await stateOf('w1')).toMatchObject({ state: 'pending', attempts: 0, last_error: 'CCUS circuit open' });
    await outbox.claimDue(10, 'server-a', LEASE_MS);
    await outbox.markRetry(key('w1'), 'timeout', new Date(now().getTime() + 30_000), 'server-a');
    expect(await stateOf('w1')).toMatchObject({ state: 'retrying', attempts: 1 });
    expect(await outbox.claimDue(10, 'server-a', LEASE_MS)).toEqual([]);
    later(30_000);
    expect(await outbox.claimDue(10, 'server-a', LEASE_MS)).toMatchObject([{ attempts: 2 }]);
  });

  it("takes over a dead server's claim only when it runs out, and ignores that server's late answer", async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    await outbox.claimDue(10, 'server-a', LEASE_MS);
    // Another server starting takes back only its own claims.
    expect(await outbox.requeueSending('server-b')).toBe(0);
    later(LEASE_MS - 1000);
    expect(await outbox.claimDue(10, 'server-b', LEASE_MS)).toEqual([]);
    later(1000);
    expect(await outbox.claimDue(10, 'server-b', LEASE_MS)).toMatchObject([{ attempts: 2 }]);
    expect(await outbox.holdClaim(key('w1'), 'server-a', LEASE_MS)).toBe(false);
    await outbox.markAccepted(key('w1'), 'R-late', 'server-a');
    expect(await stateOf('w1')).toMatchObject({ state: 'sending', claimed_by: 'server-b', receipt: null });
    expect(await outbox.holdClaim(key('w1'), 'server-b', LEASE_MS)).toBe(true);
    // server-b restarts under its own name: what it was sending is due again at once.
    expect(await outbox.requeueSending('server-b')).toBe(1);
    expect((await stateOf('w1'))?.state).toBe('pending');
  });

  it('withdraws a record whose taps moved, unless CCUS has it', async () => {
    await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
    expect(await outbox.withdraw(key('w1'))).toBe(true);
    expect(await stateOf('w1')).toBeUndefined();
    await outbox.offer(key('w2'), content('2026-11-30T08:00:00.000Z'), null);
    await outbox.claimDue(10, 'server-a', LEASE_MS);
    expect(await outbox.withdraw(key('w2'))).toBe(false);
    await outbox.markAccepted(key('w2'), 'R-2', 'server-a');
    expect(await outbox.withdraw(key('w2'))).toBe(false);
    expect((await stateOf('w2'))?.state).toBe('accepted');
  });

  if (kind === 'postgres') {
    it('lets servers claiming together each take other records, none twice, without waiting', async () => {
      const url = await engines.postgresUrl();
      const servers = ['server-a', 'server-b', 'server-c'].map((name) => ({
        name,
        outbox: new CcusOutbox(engines.postgres(url, now), { coalesceMs: COALESCE_MS }),
      }));
      const first = engines.postgres(url, now);
      await first.transaction(() => books(first));
      for (let n = 0; n < 300; n++)
        await servers[n % 3]?.outbox.offer(key(`w${n}`), content('2026-11-30T08:00:00.000Z'), null);
      const claimed: Record<string, string[]> = {};
      await Promise.all(
        servers.map(async ({ name, outbox: theirs }) => {
          claimed[name] = [];
          for (;;) {
            const items = await theirs.claimDue(7, name, LEASE_MS);
            if (items.length === 0) return;
            claimed[name]?.push(...items.map((item) => item.workerId));
          }
        }),
      );
      const all = Object.values(claimed).flat();
      expect(all).toHaveLength(300);
      expect(new Set(all).size).toBe(300);
    });

    it('skips a record another server holds locked rather than waiting for it', async () => {
      await outbox.offer(key('w1'), content('2026-11-30T08:00:00.000Z'), null);
      await outbox.offer(key('w2'), content('2026-11-30T08:00:01.000Z'), null);
      const url = (engine as unknown as { pool: pg.Pool }).pool.options.connectionString as string;
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(`SELECT 1 FROM ccus_outbox WHERE worker_id = 'w1' FOR UPDATE`);
        expect((await outbox.claimDue(10, 'server-a', LEASE_MS)).map((item) => item.workerId)).toEqual(['w2']);
        await other.query('ROLLBACK');
        expect((await outbox.claimDue(10, 'server-a', LEASE_MS)).map((item) => item.workerId)).toEqual(['w1']);
      } finally {
        await other.end();
      }
    });
  }
});
