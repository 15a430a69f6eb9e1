import { type CardRef, cardKey, type Direction, type ShiftState } from '@ccus-gate/protocol';
import { type Kysely, sql } from 'kysely';
import { prepared } from '../store/engine/prepared.js';
import type { StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import type { DB } from '../store/schema.js';
import { CORRECTION_REACH_MS, pairShifts, type TimelineTap } from './pair-shifts.js';

const HOUR_MS = 3_600_000;
/** A working day's wall times lie within this of its date at the boundary, whatever the zone. */
const ZONE_MARGIN_MS = 16 * HOUR_MS;
/** Taps read at a time past the changed ones, until the pairing meets what is stored. */
const PAGE = 200;
/**
 * Where nothing is stored to start from (taps from before shifts were paired), pairing starts
 * after a gap nothing reaches across: longer than a working day (25 h across a DST change) and
 * the longest shift (24 h)...
 */
const INDEPENDENT_GAP_MS = 26 * HOUR_MS;
/** ...looked for at most this far back. */
const REACH_MS = 62 * 24 * HOUR_MS;

interface TapRow {
  terminal_id: string;
  seq: number;
  tech: CardRef['tech'];
  card_id: string;
  direction: Direction;
  at_ms: number;
  working_day: string;
  record_day: string | null;
  effective_direction: Direction | null;
  shift_start_ms: number | null;
  flags: string;
  void_correction: number | null;
}

const COLUMNS = [
  'terminal_id',
  'seq',
  'tech',
  'card_id',
  'direction',
  'at_ms',
  'working_day',
  'record_day',
  'effective_direction',
  'shift_start_ms',
  'flags',
  'void_correction',
] as const;

type Worker = { siteId: string; workerId: string };
const timeline = (db: Kysely<DB>, p: Worker) =>
  db.selectFrom('taps').select(COLUMNS).where('site_id', '=', p.siteId).where('worker_id', '=', p.workerId);
/** The last counted tap before the change: the state pairing starts from. */
const SEED = prepared((db, p: Worker & { beforeMs: number }) =>
  db
    .selectFrom('taps')
    .select(['effective_direction', 'record_day', 'shift_start_ms', 'at_ms'])
    .where('site_id', '=', p.siteId)
    .where('worker_id', '=', p.workerId)
    .where('at_ms', '<', p.beforeMs)
    .where('effective_direction', 'is not', null)
    .orderBy('at_ms', 'desc')
    // A literal: a bound LIMIT made this look-up four times slower on SQLite (measured).
    .limit(sql.lit(1)),
);
const BETWEEN = prepared((db, p: Worker & { fromMs: number; untilMs: number }) =>
  timeline(db, p)
    .where('at_ms', '>=', p.fromMs)
    .where('at_ms', '<=', p.untilMs)
    .orderBy('at_ms')
    .orderBy('terminal_id')
    .orderBy('seq'),
);
const AFTER_TIME = prepared((db, p: Worker & { afterMs: number; limit: number }) =>
  timeline(db, p).where('at_ms', '>', p.afterMs).orderBy('at_ms').orderBy('terminal_id').orderBy('seq').limit(p.limit),
);
/** On from a tap, in the timeline's order (taps at one instant by terminal and number). */
const AFTER_TAP = prepared((db, p: Worker & { atMs: number; terminalId: string; seq: number; limit: number }) =>
  timeline(db, p)
    .where((eb) => eb(eb.refTuple('at_ms', 'terminal_id', 'seq'), '>', eb.tuple(p.atMs, p.terminalId, p.seq)))
    .orderBy('at_ms')
    .orderBy('terminal_id')
    .orderBy('seq')
    .limit(p.limit),
);
const PAIRED = prepared(
  (
    db,
    p: { recordDay: string; direction: string | null; shiftStartMs: number | null; terminalId: string; seq: number },
  ) =>
    db
      .updateTable('taps')
      .set({ record_day: p.recordDay, effective_direction: p.direction, shift_start_ms: p.shiftStartMs })
      .where('terminal_id', '=', p.terminalId)
      .where('seq', '=', p.seq),
);

function timelineTap(row: TapRow): TimelineTap {
  const flags = JSON.parse(row.flags) as string[];
  return {
    terminalId: row.terminal_id,
    seq: row.seq,
    cardKey: cardKey({ tech: row.tech, id: row.card_id } as CardRef),
    atMs: row.at_ms,
    day: row.working_day,
    direction: row.direction,
    toggled: flags.includes('toggle'),
    readerCorrection: flags.includes('reader_correction'),
    voided: row.void_correction !== null,
  };
}

const dayStartMs = (day: string, boundary: string): number => Date.parse(`${day}T${boundary}:00Z`);

/** What re-pairing a worker's shifts around some days changed. */
export interface StretchChange {
  /** Record days that gained or lost taps, or were queued: each to be built again. */
  days: Set<string>;
  /** Where the worker stands after their latest tap at the site, when the stretch reached it. */
  latest: { state: ShiftState | null; atMs: number } | null;
}

/**
 * Pairs a worker's taps at a site again around the queued working days, from the state stored
 * with the last counted tap before them, forward until the pairing meets what is stored (after
 * the queued days, nothing further changes), and stores each tap's direction, record day and
 * shift start where they changed.
 */
export function* repairStretch(
  engine: StoreEngine,
  site: { siteId: string; dayBoundary: string; maxShiftMs: number },
  workerId: string,
  queued: readonly string[],
  /** The earliest tap that changed, when known (new taps); else from the first queued day's start. */
  fromMs: number | null = null,
): Work<StretchChange> {
  const { siteId } = site;
  const worker = { siteId, workerId };
  // A correction on the other reader replaces a tap up to an hour before it.
  const changedFrom =
    fromMs === null ? dayStartMs(queued[0] as string, site.dayBoundary) - ZONE_MARGIN_MS : fromMs - CORRECTION_REACH_MS;
  const changedUntil = dayStartMs(queued.at(-1) as string, site.dayBoundary) + 24 * HOUR_MS + ZONE_MARGIN_MS;
  const seed = (yield* firstRow(SEED(engine, { ...worker, beforeMs: changedFrom }))) as
    | { effective_direction: Direction; record_day: string; shift_start_ms: number | null; at_ms: number }
    | undefined;
  let from = changedFrom;
  let initial: ShiftState | null = null;
  if (seed !== undefined && seed.shift_start_ms !== null) {
    initial = { last: seed.effective_direction, recordDay: seed.record_day, shiftStartMs: seed.shift_start_ms };
  } else if (seed !== undefined) {
    from = yield* independentStart(engine, siteId, workerId, changedFrom);
  }
  const read = (yield* rows(BETWEEN(engine, { ...worker, fromMs: from, untilMs: changedUntil }))) as TapRow[];
  let exhausted = false;
  for (;;) {
    const paired = pairShifts(read.map(timelineTap), site.maxShiftMs, initial);
    // Past the changed days, the first tap whose pairing is what is stored: from there on nothing changes.
    const meets = paired.findIndex(
      (pair, i) =>
        pair.tap.atMs > changedUntil &&
        (read[i] as TapRow).effective_direction === pair.direction &&
        (read[i] as TapRow).record_day === pair.recordDay &&
        (read[i] as TapRow).shift_start_ms === pair.shiftStartMs,
    );
    if (meets < 0 && !exhausted) {
      // On from the last tap read, in the same order (taps at one instant by terminal and number).
      const last = read.at(-1);
      const more = (yield* rows(
        last === undefined || last.at_ms < changedUntil
          ? AFTER_TIME(engine, { ...worker, afterMs: changedUntil, limit: PAGE })
          : AFTER_TAP(engine, {
              ...worker,
              atMs: last.at_ms,
              terminalId: last.terminal_id,
              seq: last.seq,
              limit: PAGE,
            }),
      )) as TapRow[];
      read.push(...more);
      exhausted = more.length < PAGE;
      if (more.length > 0) continue;
    }
    const end = meets < 0 ? paired.length : meets;
    const days = new Set<string>(queued);
    let state: ShiftState | null = initial;
    for (let i = 0; i < end; i++) {
      const pair = paired[i] as (typeof paired)[number];
      const row = read[i] as TapRow;
      if (row.record_day !== null) days.add(row.record_day);
      days.add(pair.recordDay);
      if (
        row.record_day !== pair.recordDay ||
        row.effective_direction !== pair.direction ||
        row.shift_start_ms !== pair.shiftStartMs
      ) {
        yield* execute(
          PAIRED(engine, {
            recordDay: pair.recordDay,
            direction: pair.direction,
            shiftStartMs: pair.shiftStartMs,
            terminalId: row.terminal_id,
            seq: row.seq,
          }),
        );
      }
      if (pair.direction !== null && pair.shiftStartMs !== null) {
        state = { last: pair.direction, recordDay: pair.recordDay, shiftStartMs: pair.shiftStartMs };
      }
    }
    // Reached the worker's latest tap: where they stand now.
    const reachedEnd = meets < 0 && exhausted;
    const lastRow = read.at(-1);
    return {
      days,
      latest: reachedEnd ? { state, atMs: lastRow?.at_ms ?? seed?.at_ms ?? 0 } : null,
    };
  }
}

/** The first tap after a gap nothing reaches across, at or before `ms` (legacy taps with no stored state). */
function* independentStart(engine: StoreEngine, siteId: string, workerId: string, ms: number): Work<number> {
  let newer = ms;
  const earlier = yield* rows(
    engine.db
      .selectFrom('taps')
      .select('at_ms')
      .where('site_id', '=', siteId)
      .where('worker_id', '=', workerId)
      .where('at_ms', '<', ms)
      .where('at_ms', '>=', ms - REACH_MS)
      .orderBy('at_ms', 'desc'),
  );
  // at_ms is always written (the column came by a migration, hence nullable in its type).
  for (const at of earlier.map((row) => row.at_ms as number)) {
    if (newer - at > INDEPENDENT_GAP_MS) return newer;
    newer = at;
  }
  return newer;
}

/** What the record builder and what people (a record's taps) read of each tap a record holds. */
export const RECORD_TAP_COLUMNS = {
  build: [
    'terminal_id',
    'boot_id',
    'mono',
    'at',
    'at_ms',
    'effective_direction',
    'clock_synced',
    'flags',
    'terminal_worker_id',
  ],
  show: [
    'terminal_id',
    'seq',
    'site_id',
    'tech',
    'card_id',
    'worker_id',
    'direction',
    'effective_direction',
    'at',
    'working_day',
    'record_day',
    'clock_synced',
    'flags',
    'received_at',
    'void_correction',
  ],
} as const;
type RecordTapColumns = typeof RECORD_TAP_COLUMNS;

/** Only the columns each reader needs: reading whole rows made the rebuild's look-up twice as slow (measured). */
const recordTapsQuery = <K extends keyof RecordTapColumns>(columns: K) =>
  prepared((db, p: Worker & { fromMs: number; untilMs: number; day: string }) =>
    db
      .selectFrom('taps')
      .select(RECORD_TAP_COLUMNS[columns])
      .where('site_id', '=', p.siteId)
      .where('worker_id', '=', p.workerId)
      .where('at_ms', '>=', p.fromMs)
      .where('at_ms', '<=', p.untilMs)
      .where('record_day', '=', p.day)
      .orderBy('at_ms')
      .orderBy('terminal_id')
      .orderBy('seq'),
  );
const RECORD_TAPS = { build: recordTapsQuery('build'), show: recordTapsQuery('show') };

/**
 * The taps a record holds, read through the worker's timeline: they lie between its day's start
 * and the end of the next, plus the longest shift (an exit that closed a night shift).
 */
export function* recordTaps<K extends keyof RecordTapColumns>(
  engine: StoreEngine,
  key: { siteId: string; workerId: string; workingDay: string },
  dayBoundary: string,
  maxShiftMs: number,
  columns: K,
) {
  const from = dayStartMs(key.workingDay, dayBoundary) - ZONE_MARGIN_MS;
  const until = from + 2 * ZONE_MARGIN_MS + 48 * HOUR_MS + maxShiftMs;
  const query = RECORD_TAPS[columns] as ReturnType<typeof recordTapsQuery<K>>;
  return yield* rows(query(engine, { ...key, fromMs: from, untilMs: until, day: key.workingDay }));
}
