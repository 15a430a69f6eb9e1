import { type OnConflictBuilder, type SqlBool, sql } from 'kysely';
import { keepEarliest } from '../records/record-queue.js';
import { REDATED_COLUMNS, type RedatedTapRow, untrustedTaps } from '../records/redate-taps.js';
import { jsonRows } from './engine/json-rows.js';
import { prepared } from './engine/prepared.js';
import type { StoreEngine } from './engine/store-engine.js';
import { execute, rows, type Work } from './engine/work.js';
import type { DB, Taps } from './schema.js';

/*
 * The one statement kept per engine, as measured (tap-store.ts stores a batch with it).
 * - PostgreSQL: the batch in one INSERT from one JSON array (json-rows.ts), which in the same
 *   round trip reads the boots' untrusted taps as they were before it and queues the record
 *   days of the taps it inserted: a batch costs begin, its cards, this, commit.
 * - SQLite: a prepared single-row INSERT per tap, three times faster there than one many-row
 *   INSERT … RETURNING, with the untrusted taps read just before; the record days are queued
 *   by the caller.
 * Either way a tap not inserted was stored before.
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
/** A tap as ingest writes it. */
export type NewTap = Pick<Taps, (typeof TAP_COLUMNS)[number]>;
/** A stored tap not yet trusted, and the boot it was taken in. */
export type UntrustedTap = RedatedTapRow & { boot_id: string };

/** A tap stored before stays as it was: the caller compares the two. */
const keepStored = (conflict: OnConflictBuilder<DB, 'taps'>) => conflict.columns(['terminal_id', 'seq']).doNothing();

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
 * the batch. A row with `seq` is a tap inserted; one with `untrusted`, a tap stored before whose
 * time is not trusted yet. The days are queued in byte order, as queueRecords sorts them, so
 * two servers lock them in the same order.
 */
const INSERT_TAPS = prepared((db, p: { taps: string; terminalId: string; boots: unknown }) =>
  db
    .with('untrusted', (db) =>
      db
        .selectFrom('taps')
        .select([...REDATED_COLUMNS, 'boot_id'])
        .where('terminal_id', '=', p.terminalId)
        .where(sql<SqlBool>`boot_id = ANY(${p.boots}::text[])`)
        .where('clock_synced', '=', sql.lit(0)),
    )
    .with('inserted', (db) =>
      db
        .insertInto('taps')
        .columns(TAP_COLUMNS)
        .expression(jsonRows('taps', TAP_COLUMNS, p.taps))
        .onConflict(keepStored)
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
      sql<UntrustedTap | null>`NULL::json`.as('untrusted'),
    ])
    .unionAll((eb) =>
      eb
        .selectFrom('untrusted as u')
        .select([sql<number | null>`NULL::bigint`.as('seq'), sql<UntrustedTap | null>`row_to_json(u)`.as('untrusted')]),
    ),
);

export interface InsertedTaps {
  /** The sequence numbers inserted; the others were stored before. */
  isNew: Set<number>;
  /** The taps of `boots` stored before these whose times are not trusted yet. */
  untrustedBefore: UntrustedTap[];
  /** Whether the record days of the taps inserted are queued already (on PostgreSQL, they are). */
  queued: boolean;
}

/** Inserts one terminal's taps (those stored before are left as they are), within the caller's transaction. */
export function* insertTaps(
  engine: StoreEngine,
  terminalId: string,
  taps: readonly NewTap[],
  boots: readonly string[],
): Work<InsertedTaps> {
  const isNew = new Set<number>();
  const untrustedBefore: UntrustedTap[] = [];
  if (engine.kind === 'postgres') {
    const inserted = INSERT_TAPS(engine, { taps: JSON.stringify(taps), terminalId, boots });
    for (const row of yield* rows(inserted)) {
      if (row.untrusted === null) isNew.add(row.seq as number);
      else untrustedBefore.push(row.untrusted);
    }
    return { isNew, untrustedBefore, queued: true };
  }
  for (const bootId of boots) {
    for (const row of yield* untrustedTaps(engine, terminalId, bootId))
      untrustedBefore.push({ ...row, boot_id: bootId });
  }
  for (const tap of taps) if ((yield* execute(INSERT_TAP(engine, tap))) === 1) isNew.add(tap.seq);
  return { isNew, untrustedBefore, queued: false };
}
