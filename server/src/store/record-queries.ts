import { ccusDeadline, MAX_SHIFT_HOURS_LIMIT } from '@ccus-gate/protocol';
import { sql } from 'kysely';
import type { OutboxSteps } from '../ccus/outbox-store.js';
import type { RecordFlag } from '../records/record-flags.js';
import type { RecordKey } from '../records/record-queue.js';
import { RECORD_TAP_COLUMNS, recordTaps } from '../records/shift-stretch.js';
import { EngineStore } from './engine/engine-store.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { firstRow, mapFirst, mapRows, pageLimit, type Work } from './engine/work.js';
import { StoreError } from './store-error.js';
import { type TenantScope, visibleSites, workerBooks, workerInScope } from './tenant-scope.js';
import { type WorkingDayCount, workingDayCounts } from './working-day-counts.js';

export type OutboxState = 'held' | 'pending' | 'sending' | 'accepted' | 'refused' | 'retrying';

export type { RecordKey } from '../records/record-queue.js';

export interface WorkRecord extends RecordKey {
  firstIn: string | null;
  lastOut: string | null;
  tapCount: number;
  flags: RecordFlag[];
  /** The day's trade (職種) and position (立場), as CCUS is told them. */
  trade: string | null;
  position: string | null;
  revision: number;
  /** The last day CCUS accepts this record: the end of the month after its working day. */
  deadline: string;
  ccus: {
    state: OutboxState;
    attempts: number;
    lastError: string | null;
    heldReason: string | null;
    receipt: string | null;
    acceptedAt: string | null;
  } | null;
}

export interface StoredTap {
  terminalId: string;
  seq: number;
  siteId: string;
  card: { tech: string; id: string };
  workerId: string | null;
  /** What the tap counts as in its record (an entry or exit from the site's whole timeline). */
  direction: string;
  /** What the terminal said; differs from `direction` where the site's other terminals knew better. */
  terminalDirection: string;
  /** False for a tap voided by a person or replaced by a correction on the other reader. */
  counted: boolean;
  at: string;
  workingDay: string;
  /** The working day whose record holds it: the day before its own for a night shift's exit. */
  recordDay: string;
  clockSynced: boolean;
  flags: string[];
  receivedAt: string;
}

export interface UnknownCard {
  siteId: string;
  card: { tech: string; id: string };
  taps: number;
  firstAt: string;
  lastAt: string;
}

export interface RecordFilter {
  siteId?: string;
  /** YYYY-MM */
  month?: string;
  /** YYYY-MM-DD, inclusive */
  from?: string;
  to?: string;
  state?: OutboxState;
  workerId?: string;
  limit: number;
  offset: number;
}

interface RecordRow {
  site_id: string;
  worker_id: string;
  working_day: string;
  first_in: string | null;
  last_out: string | null;
  tap_count: number;
  flags: string;
  trade: string | null;
  position: string | null;
  revision: number;
  state: string | null;
  attempts: number | null;
  last_error: string | null;
  held_reason: string | null;
  receipt: string | null;
  accepted_at: string | null;
}

function recordFromRow(row: RecordRow): WorkRecord {
  return {
    siteId: row.site_id,
    workerId: row.worker_id,
    workingDay: row.working_day,
    firstIn: row.first_in,
    lastOut: row.last_out,
    tapCount: row.tap_count,
    flags: JSON.parse(row.flags) as RecordFlag[],
    trade: row.trade,
    position: row.position,
    revision: row.revision,
    deadline: ccusDeadline(row.working_day),
    ccus:
      row.state === null
        ? null
        : {
            state: row.state as OutboxState,
            attempts: row.attempts ?? 0,
            lastError: row.last_error,
            heldReason: row.held_reason,
            receipt: row.receipt,
            acceptedAt: row.accepted_at,
          },
  };
}

/** The outbox entry `o` of the record `r`. */
const SAME_RECORD = sql<boolean>`o.site_id = r.site_id AND o.worker_id = r.worker_id AND o.working_day = r.working_day`;
const OUTBOX_COLUMNS = [
  'o.state',
  'o.attempts',
  'o.last_error',
  'o.held_reason',
  'o.receipt',
  'o.accepted_at',
] as const;

/** The columns people see of a tap: the same as of a record's taps (records/shift-stretch.ts). */
const TAP_COLUMNS = RECORD_TAP_COLUMNS.show.map((column) => `t.${column}` as const);

function tapFromRow(row: Record<string, unknown>): StoredTap {
  return {
    terminalId: String(row.terminal_id),
    seq: Number(row.seq),
    siteId: String(row.site_id),
    card: { tech: String(row.tech), id: String(row.card_id) },
    workerId: (row.worker_id as string | null) ?? null,
    direction: String(row.effective_direction ?? row.direction),
    terminalDirection: String(row.direction),
    counted: row.void_correction === null && (row.worker_id === null || row.effective_direction !== null),
    at: String(row.at),
    workingDay: String(row.working_day),
    recordDay: String(row.record_day ?? row.working_day),
    clockSynced: Number(row.clock_synced) === 1,
    flags: JSON.parse(String(row.flags)) as string[],
    receivedAt: String(row.received_at),
  };
}

/** The first day of the month `months` before `day`'s month, as YYYY-MM-DD. */
function monthsBack(day: string, months: number): string {
  const [year, month] = day.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month - 1 - months, 1)).toISOString().slice(0, 10);
}

/**
 * What a tenant reads about taps and records: every query is limited to the sites it sees,
 * and at a subcontractor's sites to its own employees.
 */
export class RecordQueries<E extends StoreEngine = StoreEngine> extends EngineStore<E> {
  readonly #outbox: OutboxSteps;

  constructor(engine: E, outbox: OutboxSteps) {
    super(engine);
    this.#outbox = outbox;
  }

  /** The records the caller sees, with their CCUS state; the caller adds its conditions. */
  #scopedRecords(scope: TenantScope) {
    return this.db
      .with('visible', visibleSites(scope))
      .selectFrom('records as r')
      .innerJoin('visible as v', 'v.site_id', 'r.site_id')
      .leftJoin('workers as w', (join) => join.onRef('w.worker_id', '=', 'r.worker_id').on(workerBooks('r', scope)))
      .leftJoin('ccus_outbox as o', (join) => join.on(SAME_RECORD))
      .selectAll('r')
      .select(OUTBOX_COLUMNS)
      .where(workerInScope(scope));
  }

  records(scope: TenantScope, filter: RecordFilter): Answer<E, WorkRecord[]> {
    let query = this.#scopedRecords(scope);
    if (filter.siteId != null) query = query.where('r.site_id', '=', filter.siteId);
    if (filter.month != null)
      query = query
        .where('r.working_day', '>=', `${filter.month}-01`)
        .where('r.working_day', '<=', `${filter.month}-31`);
    if (filter.from != null) query = query.where('r.working_day', '>=', filter.from);
    if (filter.to != null) query = query.where('r.working_day', '<=', filter.to);
    if (filter.state != null) query = query.where('o.state', '=', filter.state);
    if (filter.workerId != null) query = query.where('r.worker_id', '=', filter.workerId);
    query = query
      .orderBy('r.working_day', 'desc')
      .orderBy('r.site_id')
      .orderBy('r.worker_id')
      .limit(pageLimit(filter.limit))
      .offset(filter.offset);
    return this.run(mapRows(query, (row) => recordFromRow(row as RecordRow)));
  }

  /** One record as the tenant sees it; not_found when it does not exist or is not theirs to see. */
  record(scope: TenantScope, key: RecordKey): Answer<E, WorkRecord> {
    return this.run(this.recordWork(scope, key));
  }

  *recordWork(scope: TenantScope, key: RecordKey): Work<WorkRecord> {
    const row = yield* firstRow(
      this.#scopedRecords(scope)
        .where('r.site_id', '=', key.siteId)
        .where('r.worker_id', '=', key.workerId)
        .where('r.working_day', '=', key.workingDay),
    );
    if (row === undefined) {
      throw new StoreError(
        'not_found',
        `no record for worker ${key.workerId} at site ${key.siteId} on ${key.workingDay}`,
      );
    }
    return recordFromRow(row as RecordRow);
  }

  /** Unscoped, for the server's own use (tests, the forwarder's events). */
  recordByKey(key: RecordKey): Answer<E, WorkRecord | null> {
    return this.run(this.recordByKeyWork(key));
  }

  *recordByKeyWork(key: RecordKey): Work<WorkRecord | null> {
    return yield* mapFirst(
      this.db
        .selectFrom('records as r')
        .leftJoin('ccus_outbox as o', (join) => join.on(SAME_RECORD))
        .selectAll('r')
        .select(OUTBOX_COLUMNS)
        .where('r.site_id', '=', key.siteId)
        .where('r.worker_id', '=', key.workerId)
        .where('r.working_day', '=', key.workingDay),
      (row) => recordFromRow(row as RecordRow),
    );
  }

  /**
   * Records not yet accepted by CCUS whose deadline is within `withinDays` of today (or has
   * passed), soonest first: what a person must see before CCUS stops taking them.
   */
  atRisk(
    scope: TenantScope,
    filter: { today: string; withinDays: number; siteId?: string; limit: number },
  ): Answer<E, WorkRecord[]> {
    // A deadline is the end of the month after the working day: records older than three months
    // are long past it and no longer listed; the last two months hold everything still open.
    let query = this.#scopedRecords(scope)
      .where('r.working_day', '>=', monthsBack(filter.today, 3))
      .where((eb) => eb(eb.fn.coalesce('o.state', sql.lit('pending')), '<>', 'accepted'))
      .orderBy('r.working_day')
      .orderBy('r.site_id')
      .orderBy('r.worker_id');
    if (filter.siteId != null) query = query.where('r.site_id', '=', filter.siteId);
    const horizon = new Date(Date.parse(`${filter.today}T00:00:00Z`) + filter.withinDays * 86_400_000)
      .toISOString()
      .slice(0, 10);
    return this.run(
      (function* () {
        return (yield* mapRows(query, (row) => recordFromRow(row as RecordRow)))
          .filter((record) => record.deadline <= horizon)
          .slice(0, filter.limit);
      })(),
    );
  }

  /** Distinct working days of these workers at the tenant's sites, per trade and in all (working-day-counts.ts). */
  workingDays(
    scope: TenantScope,
    filter: { workerIds: readonly string[]; today: string },
  ): Answer<E, WorkingDayCount[]> {
    return this.run(workingDayCounts(this.engine, scope, filter));
  }

  taps(
    scope: TenantScope,
    filter: { siteId?: string; workerId?: string; from?: string; to?: string; limit: number; offset: number },
  ): Answer<E, StoredTap[]> {
    let query = this.db
      .with('visible', visibleSites(scope))
      .selectFrom('taps as t')
      .innerJoin('visible as v', 'v.site_id', 't.site_id')
      .leftJoin('workers as w', (join) => join.onRef('w.worker_id', '=', 't.worker_id').on(workerBooks('t', scope)))
      .select(TAP_COLUMNS)
      .where(workerInScope(scope));
    if (filter.siteId != null) query = query.where('t.site_id', '=', filter.siteId);
    if (filter.workerId != null) query = query.where('t.worker_id', '=', filter.workerId);
    if (filter.from != null) query = query.where('t.working_day', '>=', filter.from);
    if (filter.to != null) query = query.where('t.working_day', '<=', filter.to);
    query = query
      .orderBy('t.received_at', 'desc')
      .orderBy('t.terminal_id')
      .orderBy('t.seq', 'desc')
      .limit(pageLimit(filter.limit))
      .offset(filter.offset);
    return this.run(mapRows(query, (row) => tapFromRow(row)));
  }

  /** The taps a record holds (its shift's, from every terminal), voided and replaced ones too, in time order. */
  recordTaps(scope: TenantScope, key: RecordKey): Answer<E, StoredTap[]> {
    const self = this;
    return this.run(
      (function* () {
        yield* self.recordWork(scope, key);
        const site = yield* firstRow(
          self.db.selectFrom('sites').select('day_boundary').where('site_id', '=', key.siteId),
        );
        const found = yield* recordTaps(
          self.engine,
          key,
          site?.day_boundary as string,
          MAX_SHIFT_HOURS_LIMIT * 3_600_000,
          'show',
        );
        return found.map((row) => tapFromRow(row as Record<string, unknown>));
      })(),
    );
  }

  /** Cards tapped at the tenant's sites (as prime) that no worker holds yet: a person binds them. */
  unknownCards(
    scope: TenantScope,
    filter: { siteId?: string; limit?: number; offset?: number },
  ): Answer<E, UnknownCard[]> {
    let query = this.db
      .with('visible', visibleSites(scope))
      .selectFrom('taps as t')
      .innerJoin('visible as v', 'v.site_id', 't.site_id')
      .select((eb) => [
        't.site_id',
        't.tech',
        't.card_id',
        eb.fn.countAll<number>().as('n'),
        eb.fn.min('t.at').as('first_at'),
        eb.fn.max('t.at').as('last_at'),
      ])
      .where('t.worker_id', 'is', null)
      .where('v.scope', '=', 'prime')
      .groupBy(['t.site_id', 't.tech', 't.card_id'])
      .orderBy((eb) => eb.fn.max('t.at'), 'desc')
      .orderBy('t.card_id')
      .limit(pageLimit(filter.limit))
      .offset(filter.offset ?? 0);
    if (filter.siteId != null) query = query.where('t.site_id', '=', filter.siteId);
    return this.run(
      mapRows(query, (row) => ({
        siteId: row.site_id,
        card: { tech: row.tech, id: row.card_id },
        taps: Number(row.n),
        firstAt: row.first_at,
        lastAt: row.last_at,
      })),
    );
  }

  /** Sends a refused or held record again, once a person has fixed what stopped it (in CCUS or here). */
  retry(scope: TenantScope, key: RecordKey): Answer<E, WorkRecord> {
    const self = this;
    return this.transaction(function* () {
      const record = yield* self.recordWork(scope, key);
      if (record.ccus === null || !['refused', 'held'].includes(record.ccus.state)) {
        throw new StoreError(
          'conflict',
          `the record is ${record.ccus?.state ?? 'not in the outbox'}; only refused or held records are sent again`,
        );
      }
      yield* self.#outbox.release(key, ['refused', 'held']);
      return yield* self.recordWork(scope, key);
    });
  }
}
