import {
  type EngineKind,
  execute,
  firstRow,
  type PostgresEngine,
  prepared,
  preparedRows,
  rows,
  type StoreEngine,
} from '@ccus-gate/server';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, StoreEngines } from '../support/store-engines.js';

const COUNTER = prepared((db, p: { name: string }) =>
  db.selectFrom('counters').select('value').where('name', '=', p.name),
);
const BUMP = prepared((db, p: { name: string; by: number }) =>
  db
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', p.by) }))
    .where('name', '=', p.name),
);
const QUEUE = preparedRows<
  { site_id: string; worker_id: string; working_day: string; from_ms: number | null },
  unknown
>(['site_id', 'worker_id', 'working_day', 'from_ms'], (db, days) => db.insertInto('record_queue').values(days));

/** The engines themselves: transactions all or nothing, steps composed, prepared queries filled right. */
describe.each(ENGINES)('the %s store engine', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let engine: StoreEngine;
  beforeEach(async () => {
    engine = await engines.open(kind);
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  const version = async () => (await engine.run(firstRow(COUNTER(engine, { name: 'version' }))))?.value;

  it('keeps nothing of a transaction that throws, and all of one that does not', async () => {
    const before = await version();
    function* bumpThen(fail: boolean) {
      yield* execute(BUMP(engine, { name: 'version', by: 5 }));
      if (fail) throw new Error('refused half-way');
      yield* execute(BUMP(engine, { name: 'version', by: 1 }));
      return (yield* firstRow(COUNTER(engine, { name: 'version' })))?.value;
    }
    await expect(Promise.resolve().then(() => engine.transaction(() => bumpThen(true)))).rejects.toThrow(
      'refused half-way',
    );
    expect(await version()).toBe(before);
    expect(await engine.transaction(() => bumpThen(false))).toBe((before as number) + 6);
  });

  it('lets work catch a refused statement and carry on outside a transaction', async () => {
    function* insertTwice() {
      const day = { site_id: 's', worker_id: 'w', working_day: '2026-11-24', from_ms: null };
      yield* execute(QUEUE(engine, [day]));
      try {
        yield* execute(QUEUE(engine, [day]));
        return 'stored twice';
      } catch {
        return 'refused the second';
      }
    }
    expect(await engine.run(insertTwice())).toBe('refused the second');
  });

  it('fills prepared queries with each call’s values, nulls and many-row batches of any size', async () => {
    for (const count of [1, 3, 2]) {
      await engine.transaction(() =>
        execute(
          QUEUE(
            engine,
            Array.from({ length: count }, (_, i) => ({
              site_id: `site-${count}`,
              worker_id: `w${i}`,
              working_day: '2026-11-24',
              from_ms: i === 0 ? null : i * 1000,
            })),
          ),
        ),
      );
    }
    const queued = await engine.run(
      rows(
        engine.db
          .selectFrom('record_queue')
          .select(['site_id', 'worker_id', 'from_ms'])
          .orderBy('site_id')
          .orderBy('worker_id'),
      ),
    );
    expect(queued).toEqual([
      { site_id: 'site-1', worker_id: 'w0', from_ms: null },
      { site_id: 'site-2', worker_id: 'w0', from_ms: null },
      { site_id: 'site-2', worker_id: 'w1', from_ms: 1000 },
      { site_id: 'site-3', worker_id: 'w0', from_ms: null },
      { site_id: 'site-3', worker_id: 'w1', from_ms: 1000 },
      { site_id: 'site-3', worker_id: 'w2', from_ms: 2000 },
    ]);
    expect(await engine.run(firstRow(COUNTER(engine, { name: 'no such counter' })))).toBeUndefined();
  });

  it('refuses a prepared query whose value would be written into its SQL', () => {
    const inlined = prepared((db, p: { name: string }) => db.selectFrom('counters').select(sql.lit(p.name).as('n')));
    expect(() => inlined(engine, { name: 'x' })).toThrow("a prepared query's value was written into its SQL");
  });
});

/** What only PostgreSQL has: a pool of connections, each with the statements prepared on it. */
describe('the postgres store engine', () => {
  const engines = new StoreEngines();
  afterAll(() => engines.close());

  it('keeps its connection, and the statements prepared there, when a statement is refused, outside a transaction or in one', async () => {
    const engine = (await engines.open('postgres')) as PostgresEngine;
    const removed: unknown[] = [];
    engine.pool.on('remove', (client) => removed.push(client));
    const day = { site_id: 's', worker_id: 'w', working_day: '2026-11-24', from_ms: null };
    await engine.run(execute(QUEUE(engine, [day])));
    for (let i = 0; i < 3; i++) {
      await expect(Promise.resolve().then(() => engine.run(execute(QUEUE(engine, [day]))))).rejects.toMatchObject({
        code: '23505',
      });
    }
    await expect(
      Promise.resolve().then(() => engine.transaction(() => execute(QUEUE(engine, [day])))),
    ).rejects.toMatchObject({ code: '23505' });
    // A refusal is an answer, not a broken connection: the pool would otherwise open and prepare anew each time.
    expect(removed).toEqual([]);
    expect(engine.pool.totalCount).toBe(1);
    await engines.closeEngines();
  });
});
