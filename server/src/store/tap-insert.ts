import { type OnConflictBuilder, sql } from 'kysely';
import { keepEarliest } from '../records/record-queue.js';
import { type UntrustedTap, untrustedOf, untrustedTaps } from '../records/redate-taps.js';
import { boundCards, cardAtSite, workersForCards } from './cards-at-site.js';
import { jsonRows } from './engine/json-rows.js';
import { prepared } from './engine/prepared.js';
import type { StoreEngine } from './engine/store-engine.js';
import { execute, rows, type Work } from './engine/work.js';
import type { DB, Taps } from './schema.js';

/*
 * The one statement kept per engine, as measured (tap-store.ts stores a batch with it).
 * - PostgreSQL: the batch in one INSERT from one JSON array (json-rows.ts), which in the same
 *   round trip resolves its cards (cards-at-site.ts), reads the boots' untrusted taps as they
 *   were before it, and queues the record days of the taps it inserted: a new batch costs
 *   this alone (`InsertMode`), another begin, this, commit.
 * - SQLite: the cards resolved in one query, then a prepared single-row INSERT per tap, three
 *   times faster there than one many-row INSERT … RETURNING, with the untrusted taps read
 *   just before; the record days are queued by the caller.
 * Either way a tap not inserted was stored before, but for `alone`, which may insert none.
 */

export const TAP_COLUMNS = [
  'terminal_id',
  'seq',
  'site_id',
  'tech',
  'card_id',
  'terminal_worker_id',
  'worker_id',
  'direction',
  'at',
  'at_ms',
  'working_day',
  'record_day',
  'effective_direction',
  'boot_id',
  'mono',
  'clock_synced',
  'flags',
  'received_at',
] as const;
/** A tap as ingest writes it: its `worker_id` is the terminal's, which a card bound at the site replaces. */
export type NewTap = Pick<Taps, (typeof TAP_COLUMNS)[number]>;

/** A tap stored before stays as it was: the caller compares the two. */
const keepStored = (conflict: OnConflictBuilder<DB, 'taps'>) => conflict.columns(['terminal_id', 'seq']).doNothing();

/**
 * How the INSERT goes in:
 * - `keep`: a tap stored before stays as it was (the caller then compares the two);
 * - `refuse`: a tap stored before is refused, which ends the transaction. On PostgreSQL a batch
 *   thought all new goes in so: a plain INSERT costs the database a quarter less than `ON
 *   CONFLICT DO NOTHING`, which checks, inserts and confirms each row on its own (a lock and a
 *   WAL record more). The store runs the batch again keeping stored taps when one was
 *   (`isTapStoredBefore`);
 * - `alone`: as `refuse`, run outside a transaction, so it inserts nothing when the batch's
 *   boots have untrusted taps stored: correcting those takes statements of their own, which
 *   must commit with it.
 * SQLite always keeps: its conflict check costs nothing extra.
 */
export type InsertMode = 'keep' | 'refuse' | 'alone';

/** PostgreSQL refused a tap whose terminal and sequence number are stored already. */
export const isTapStoredBefore = (error: unknown): boolean =>
  (error as { code?: unknown }).code === '23505' && (error as { constraint?: unknown }).constraint === 'taps_pkey';

const INSERT_TAP = prepared((db, tap: NewTap) =>
  db
    .insertInto('taps')
    // Each column named: a prepared query's values are markers that list no columns themselves.
    .values(Object.fromEntries(TAP_COLUMNS.map((column) => [column, tap[column]])) as NewTap)
    .onConflict(keepStored),
);

const QUEUE_KEY = ['site_id', 'worker_id', 'working_day'] as const;
/**
 * Every part of one statement sees the same snapshot, so `untrusted` is what was stored before
 * the batch. A row with `seq` is a tap inserted, with the worker it was stored under; one with
 * `untrusted`, a tap stored before whose time is not trusted yet. The days are queued in byte
 * order, as queueRecords sorts them, so two servers lock them in the same order.
 */
const insertTapsStatement = (mode: InsertMode) =>
  prepared((db, p: { taps: string; terminalId: string; boots: unknown }) =>
    db
      // In brackets: Kysely adds none around raw SQL.
      .with('batch', () => sql<NewTap>`(${jsonRows('taps', TAP_COLUMNS, p.taps)})`)
      .with('named', (db) => db.selectFrom('batch').select(['site_id', 'tech', 'card_id']).distinct())
      .with('bound', (db) => boundCards(db))
      .with('untrusted', () => untrustedOf(db, 'postgres', p.terminalId, p.boots))
      .with('inserted', (db) =>
        db
          .insertInto('taps')
          .columns(TAP_COLUMNS)
          .expression((eb) =>
            eb
              .selectFrom('batch as b')
              .leftJoin('bound as k', (join) =>
                join
                  .onRef('k.site_id', '=', 'b.site_id')
                  .onRef('k.tech', '=', 'b.tech')
                  .onRef('k.card_id', '=', 'b.card_id'),
              )
              .select((eb) =>
                TAP_COLUMNS.map((column) =>
                  column === 'worker_id'
                    ? eb.fn.coalesce('k.worker_id', 'b.worker_id').as('worker_id')
                    : eb.ref(`b.${column}`).as(column),
                ),
              )
              .$if(mode === 'alone', (select) =>
                select.where(({ not, exists, selectFrom }) =>
                  not(exists(selectFrom('untrusted').select(sql.lit(1).as('one')))),
                ),
              ),
          )
          .$call((insert) => (mode === 'keep' ? insert.onConflict(keepStored) : insert))
          .returning(['seq', ...QUEUE_KEY, 'at_ms']),
      )
      .with('queued', (db) =>
        db
          .insertInto('record_queue')
          .columns([...QUEUE_KEY, 'from_ms'])
          .expression((eb) =>
            eb
              .selectFrom('inserted')
              .select([...QUEUE_KEY, (eb) => eb.fn.min('at_ms').as('from_ms')])
              .where('worker_id', 'is not', null)
              .groupBy([...QUEUE_KEY])
              .orderBy(sql`site_id COLLATE "C"`)
              .orderBy(sql`worker_id COLLATE "C"`)
              .orderBy(sql`working_day COLLATE "C"`),
          )
          .onConflict(keepEarliest)
          .returning('site_id'),
      )
      .selectFrom('inserted')
      .select((eb) => [
        eb.ref('seq').$castTo<number | null>().as('seq'),
        'worker_id',
        sql<UntrustedTap | null>`NULL::json`.as('untrusted'),
      ])
      .unionAll((eb) =>
        eb
          .selectFrom('untrusted as u')
          .select([
            sql<number | null>`NULL::bigint`.as('seq'),
            sql<string | null>`NULL::text`.as('worker_id'),
            sql<UntrustedTap | null>`row_to_json(u)`.as('untrusted'),
          ]),
      ),
  );
const INSERT_TAPS = {
  keep: insertTapsStatement('keep'),
  refuse: insertTapsStatement('refuse'),
  alone: insertTapsStatement('alone'),
};

export interface InsertedTaps {
  /** The taps inserted, by sequence number, with the worker each was stored under; the others were stored before. */
  inserted: Map<number, string | null>;
  /** The taps of `boots` stored before these whose times are not trusted yet. */
  untrustedBefore: UntrustedTap[];
  /** Whether the record days of the taps inserted are queued already (on PostgreSQL, they are). */
  queued: boolean;
}

/**
 * Inserts one terminal's taps within the caller's transaction (or, `alone`, on its own), each
 * under the worker its card stands for at its site (cards-at-site.ts), or the terminal's own
 * when no reader of the site binds the card. Those stored before are left as they are, or
 * refused (`InsertMode`).
 */
export function* insertTaps(
  engine: StoreEngine,
  terminalId: string,
  taps: readonly NewTap[],
  boots: readonly string[],
  mode: InsertMode,
): Work<InsertedTaps> {
  const inserted = new Map<number, string | null>();
  if (engine.kind === 'postgres') {
    const untrustedBefore: UntrustedTap[] = [];
    const statement = INSERT_TAPS[mode](engine, { taps: JSON.stringify(taps), terminalId, boots });
    for (const row of yield* rows(statement)) {
      if (row.untrusted === null) inserted.set(row.seq as number, row.worker_id);
      else untrustedBefore.push(row.untrusted);
    }
    return { inserted, untrustedBefore, queued: true };
  }
  const named = taps.map((tap) => ({ site_id: tap.site_id, tech: tap.tech, card_id: tap.card_id }));
  const bound = yield* workersForCards(engine, named);
  const untrustedBefore = yield* untrustedTaps(engine, terminalId, boots);
  for (const tap of taps) {
    const worker_id = bound.get(cardAtSite(tap.site_id, tap.tech, tap.card_id)) ?? tap.worker_id;
    if ((yield* execute(INSERT_TAP(engine, { ...tap, worker_id }))) === 1) inserted.set(tap.seq, worker_id);
  }
  return { inserted, untrustedBefore, queued: false };
}
