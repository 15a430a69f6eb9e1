import { CcusOutbox, RecordRebuild, rows, type StoreEngine, TapStore } from '@ccus-gate/server';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreEngines } from '../support/store-engines.js';
import { waitForAsync } from '../support/wait.js';
import {
  GATE_IN,
  GATE_OUT,
  SITE,
  storeTaps,
  type TapSpec,
  WORKER,
  workHistoryBooks,
} from '../support/work-history-books.js';

/**
 * Several servers building work history on one PostgreSQL database: a worker's timeline paired
 * by one server at a time, batches stored while another server rebuilds, a batch's INSERT
 * cancelled by a deadlock, three servers ingesting and rebuilding together. What both engines
 * do alike is in work-history-engines.test.ts.
 */
describe('work history, several servers on PostgreSQL', () => {
  const engines = new StoreEngines();
  const clock = { value: new Date('2026-11-24T03:00:00.000Z') };
  let engine: StoreEngine;
  let taps: TapStore;
  let records: RecordRebuild;

  beforeEach(async () => {
    clock.value = new Date('2026-11-24T03:00:00.000Z');
    engine = await engines.open('postgres', () => clock.value);
    await engine.transaction(() => workHistoryBooks(engine));
    taps = new TapStore(engine);
    records = new RecordRebuild(engine, new CcusOutbox(engine).steps);
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  const store = (terminalId: typeof GATE_IN, specs: TapSpec[]) => storeTaps(taps, terminalId, specs);
  const recordsNow = () =>
    engine.run(
      rows(
        engine.db
          .selectFrom('records')
          .select(['working_day', 'first_in', 'last_out', 'tap_count'])
          .orderBy('working_day'),
      ),
    );

  /** Another server's hold on the worker's timeline at the site: the lock its rebuild takes. */
  const holdWorker = async () => {
    const other = new pg.Client({ connectionString: engines.postgresUrlOf(engine) });
    await other.connect();
    await other.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`${SITE}/${WORKER}`]);
    return {
      /** Resolves once a rebuild waits on the lock. */
      waitedOn: () =>
        waitForAsync('the rebuild to wait on that lock', async () => {
          const { rows: waiting } = await other.query(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid <> pg_backend_pid()",
          );
          return waiting.length > 0;
        }),
      release: () => other.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`${SITE}/${WORKER}`]),
      end: () => other.end(),
    };
  };

  it("waits for another server pairing the same worker's timeline at the site, then builds on what it stored", async () => {
    await store(GATE_IN, [{ seq: 1, direction: 'in', at: '2026-11-22T20:00:00.000+09:00' }]);
    const hold = await holdWorker();
    try {
      let done = false;
      const rebuilding = Promise.resolve(records.rebuildQueued()).then((keys) => {
        done = true;
        return keys;
      });
      await hold.waitedOn();
      expect(done).toBe(false);
      await hold.release();
      expect(await rebuilding).toEqual([{ siteId: SITE, workerId: WORKER, workingDay: '2026-11-22' }]);
    } finally {
      await hold.end();
    }
  });

  it('stores a batch at once while a rebuild waits on the same worker, and builds it then', async () => {
    await store(GATE_IN, [{ seq: 1, direction: 'in', at: '2026-11-22T08:00:00.000+09:00' }]);
    const hold = await holdWorker();
    try {
      const rebuilding = Promise.resolve(records.rebuildQueued());
      await hold.waitedOn();
      // The day is queued already: the batch queues it again. A rebuild that claimed its
      // queue entry before waiting would hold this ack until the lock was let go.
      let stored = false;
      const storing = Promise.resolve(
        store(GATE_OUT, [{ seq: 1, direction: 'out', at: '2026-11-22T17:00:00.000+09:00' }]),
      ).then(() => {
        stored = true;
      });
      await waitForAsync('the batch to be stored while the lock is held', async () => stored);
      await storing;
      await hold.release();
      expect(await rebuilding).toEqual([{ siteId: SITE, workerId: WORKER, workingDay: '2026-11-22' }]);
      expect(await records.queued()).toBe(0);
      expect((await recordsNow()).map((r) => [r.first_in, r.last_out, r.tap_count])).toEqual([
        ['2026-11-22T08:00:00.000+09:00', '2026-11-22T17:00:00.000+09:00', 2],
      ]);
    } finally {
      await hold.end();
    }
  });

  it("stores a batch once when its INSERT outside a transaction is a deadlock's victim", async () => {
    // Two days of the worker queued and not built yet.
    await store(GATE_IN, [
      { seq: 1, direction: 'in', at: '2026-11-21T08:00:00.000+09:00' },
      { seq: 2, direction: 'in', at: '2026-11-22T08:00:00.000+09:00' },
    ]);
    const other = new pg.Client({ connectionString: engines.postgresUrlOf(engine) });
    await other.connect();
    const deadlocks = async () =>
      Number(
        (await other.query('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()')).rows[0]
          .deadlocks,
      );
    try {
      const before = await deadlocks();
      // Another transaction holds the later day's queue entry. Its deadlock check waits longer
      // than the server's default second, so the batch's INSERT is the one PostgreSQL cancels.
      await other.query("BEGIN; SET LOCAL deadlock_timeout = '30s'");
      await other.query("SELECT 1 FROM record_queue WHERE working_day = '2026-11-22' FOR UPDATE");
      // The batch queues both days in their order: it takes the earlier one, then waits.
      const storing = store(GATE_IN, [
        { seq: 3, direction: 'out', at: '2026-11-21T17:00:00.000+09:00' },
        { seq: 4, direction: 'out', at: '2026-11-22T17:00:00.000+09:00' },
      ]);
      await waitForAsync('the INSERT to wait on the queue entry', async () => {
        const { rows: waiting } = await other.query(
          "SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND pid <> pg_backend_pid()",
        );
        return waiting.length > 0;
      });
      // The other transaction now wants the earlier day: a cycle. Once the INSERT is cancelled
      // it has it, and the batch waits in a transaction of its own until it commits.
      await other.query("SELECT 1 FROM record_queue WHERE working_day = '2026-11-21' FOR UPDATE");
      await other.query('COMMIT');
      expect(await storing).toMatchObject({ accepted: { from: 3, to: 4 }, rejected: [], inserted: 2 });
      expect(await deadlocks()).toBe(before + 1);
    } finally {
      await other.end();
    }
    const stored = await engine.run(rows(engine.db.selectFrom('taps').select('seq').orderBy('seq')));
    expect(stored.map((tap) => tap.seq)).toEqual([1, 2, 3, 4]);
    expect(await records.rebuildQueued()).toEqual([
      { siteId: SITE, workerId: WORKER, workingDay: '2026-11-21' },
      { siteId: SITE, workerId: WORKER, workingDay: '2026-11-22' },
    ]);
    expect((await recordsNow()).map((r) => [r.working_day, r.first_in, r.last_out, r.tap_count])).toEqual([
      ['2026-11-21', '2026-11-21T08:00:00.000+09:00', '2026-11-21T17:00:00.000+09:00', 2],
      ['2026-11-22', '2026-11-22T08:00:00.000+09:00', '2026-11-22T17:00:00.000+09:00', 2],
    ]);
  });

  it('builds every record right when three servers ingest and rebuild together, and offers each once', async () => {
    const url = await engines.postgresUrl();
    const servers = [0, 1, 2].map(() => {
      const theirs = engines.postgres(url, () => clock.value);
      const theirOutbox = new CcusOutbox(theirs);
      return {
        taps: new TapStore(theirs),
        records: new RecordRebuild(theirs, theirOutbox.steps),
        outbox: theirOutbox,
      };
    });
    const serverOf = (n: number) => servers[n % 3] as (typeof servers)[number];
    const first = engines.postgres(url);
    await first.transaction(() => workHistoryBooks(first));
    // Thirty days of shifts, each day's entry and exit sent by a different server and terminal.
    const days = Array.from({ length: 30 }, (_, i) => `2026-10-${String(i + 1).padStart(2, '0')}`);
    await Promise.all(
      days.flatMap((day, i) => [
        storeTaps(serverOf(i).taps, GATE_IN, [{ seq: i + 1, direction: 'in', at: `${day}T08:00:00.000+09:00` }]),
        storeTaps(serverOf(i + 1).taps, GATE_OUT, [{ seq: i + 1, direction: 'out', at: `${day}T17:00:00.000+09:00` }]),
        serverOf(i + 2).records.rebuildQueued(3),
      ]),
    );
    // All three drain what is left together.
    await Promise.all(
      servers.map(async (server) => {
        while ((await server.records.rebuildQueued(2)).length > 0);
      }),
    );
    expect(await servers[0]?.records.queued()).toBe(0);
    const built = await first.run(
      rows(
        first.db
          .selectFrom('records')
          .select(['working_day', 'first_in', 'last_out', 'tap_count'])
          .orderBy('working_day'),
      ),
    );
    expect(built).toEqual(
      days.map((day) => ({
        working_day: day,
        first_in: `${day}T08:00:00.000+09:00`,
        last_out: `${day}T17:00:00.000+09:00`,
        tap_count: 2,
      })),
    );
    const claimed = (
      await Promise.all(servers.map((server, i) => server.outbox.claimDue(100, `server-${i}`, 60_000)))
    ).flat();
    expect(claimed.map((item) => item.workingDay).sort()).toEqual(days);
  });
});
