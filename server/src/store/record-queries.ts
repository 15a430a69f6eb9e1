import { ccusDeadline, MAX_SHIFT_HOURS_LIMIT } from '@ccus-gate/protocol';
import type { CcusOutbox } from '../ccus/outbox-store.js';
import type { RecordFlag } from '../records/record-flags.js';
import type { RecordKey } from '../records/record-queue.js';
import { RECORD_TAP_COLUMNS, recordTaps } from '../records/shift-stretch.js';
import type { SqliteEngine } from './engine/sqlite-engine.js';
import type { SqliteDb } from './sqlite-db.js';
import { StoreError } from './store-error.js';
import { scoped, type TenantScope, VISIBLE_SITES, WORKER_BOOKS, WORKER_IN_SCOPE } from './tenant-scope.js';
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
  state: OutboxState | null;
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
            state: row.state,
            attempts: row.attempts ?? 0,
            lastError: row.last_error,
            heldReason: row.held_reason,
            receipt: row.receipt,
            acceptedAt: row.accepted_at,
          },
  };
}

const RECORD_COLUMNS = `r.*, o.state, o.attempts, o.last_error, o.held_reason, o.receipt, o.accepted_at`;

/** The records the caller sees, with their CCUS state; add WHERE conditions (WORKER_IN_SCOPE among them). */
const SCOPED_RECORDS = `WITH ${VISIBLE_SITES}
  SELECT ${RECORD_COLUMNS}
    FROM records r JOIN visible v USING (site_id)
    LEFT JOIN workers w ON w.worker_id = r.worker_id AND w.tenant_id = ${WORKER_BOOKS('r')}
    LEFT JOIN ccus_outbox o USING (site_id, worker_id, working_day)`;

/** The columns people see of a tap: the same as of a record's taps (records/shift-stretch.ts). */
const TAP_COLUMNS = RECORD_TAP_COLUMNS.show.map((column) => `t.${column}`).join(', ');

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
    clockSynced: row.clock_synced === 1,
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
export class RecordQueries {
  readonly #db: SqliteDb;
  readonly #outbox: CcusOutbox<SqliteEngine>;

  constructor(db: SqliteDb, outbox: CcusOutbox<SqliteEngine>) {
    this.#db = db;
    this.#outbox = outbox;
  }

  records(scope: TenantScope, filter: RecordFilter): WorkRecord[] {
    const rows = this.#db
      .sql(
        `${SCOPED_RECORDS}
           WHERE ${WORKER_IN_SCOPE} AND (@siteId IS NULL OR r.site_id = @siteId)
             AND (@month IS NULL OR r.working_day BETWEEN @month || '-01' AND @month || '-31')
             AND (@from IS NULL OR r.working_day >= @from) AND (@to IS NULL OR r.working_day <= @to)
             AND (@state IS NULL OR o.state = @state) AND (@workerId IS NULL OR r.worker_id = @workerId)
           ORDER BY r.working_day DESC, r.site_id, r.worker_id LIMIT @limit OFFSET @offset`,
      )
      .all({
        siteId: null,
        month: null,
        from: null,
        to: null,
        state: null,
        workerId: null,
        ...scoped(scope),
        ...filter,
      }) as RecordRow[];
    return rows.map(recordFromRow);
  }

  /** One record as the tenant sees it; not_found when it does not exist or is not theirs to see. */
  record(scope: TenantScope, key: RecordKey): WorkRecord {
    const row = this.#db
      .sql(
        `${SCOPED_RECORDS}
           WHERE r.site_id = @siteId AND r.worker_id = @workerId AND r.working_day = @workingDay AND ${WORKER_IN_SCOPE}`,
      )
      .get({ ...scoped(scope), ...key }) as RecordRow | undefined;
    if (row === undefined) {
      throw new StoreError(
        'not_found',
        `no record for worker ${key.workerId} at site ${key.siteId} on ${key.workingDay}`,
      );
    }
    return recordFromRow(row);
  }

  /** Unscoped, for the server's own use (tests, the forwarder's events). */
  recordByKey(key: RecordKey): WorkRecord | null {
    const row = this.#db
      .sql(
        `SELECT ${RECORD_COLUMNS} FROM records r LEFT JOIN ccus_outbox o USING (site_id, worker_id, working_day)
           WHERE r.site_id = ? AND r.worker_id = ? AND r.working_day = ?`,
      )
      .get(key.siteId, key.workerId, key.workingDay) as RecordRow | undefined;
    return row === undefined ? null : recordFromRow(row);
  }

  /**
   * Records not yet accepted by CCUS whose deadline is within `withinDays` of today (or has
   * passed), soonest first: what a person must see before CCUS stops taking them.
   */
  atRisk(
    scope: TenantScope,
    filter: { today: string; withinDays: number; siteId?: string; limit: number },
  ): WorkRecord[] {
    // A deadline is the end of the month after the working day: records older than three months
    // are long past it and no longer listed; the last two months hold everything still open.
    const oldest = monthsBack(filter.today, 3);
    const rows = this.#db
      .sql(
        `${SCOPED_RECORDS}
           WHERE ${WORKER_IN_SCOPE} AND (@siteId IS NULL OR r.site_id = @siteId)
             AND r.working_day >= @oldest AND coalesce(o.state, 'pending') <> 'accepted'
           ORDER BY r.working_day, r.site_id, r.worker_id`,
      )
      .all({ siteId: null, ...scoped(scope), oldest, ...filter }) as RecordRow[];
    const horizon = new Date(Date.parse(`${filter.today}T00:00:00Z`) + filter.withinDays * 86_400_000)
      .toISOString()
      .slice(0, 10);
    return rows
      .map(recordFromRow)
      .filter((record) => record.deadline <= horizon)
      .slice(0, filter.limit);
  }

  /** Distinct working days of these workers at the tenant's sites, per trade and in all (working-day-counts.ts). */
  workingDays(scope: TenantScope, filter: { workerIds: readonly string[]; today: string }): WorkingDayCount[] {
    return workingDayCounts(this.#db, scope, filter);
  }

  taps(
    scope: TenantScope,
    filter: { siteId?: string; workerId?: string; from?: string; to?: string; limit: number; offset: number },
  ): StoredTap[] {
    const rows = this.#db
      .sql(
        `WITH ${VISIBLE_SITES}
         SELECT ${TAP_COLUMNS}
           FROM taps t JOIN visible v USING (site_id)
             LEFT JOIN workers w ON w.worker_id = t.worker_id AND w.tenant_id = ${WORKER_BOOKS('t')}
           WHERE ${WORKER_IN_SCOPE} AND (@siteId IS NULL OR t.site_id = @siteId)
             AND (@workerId IS NULL OR t.worker_id = @workerId)
             AND (@from IS NULL OR t.working_day >= @from) AND (@to IS NULL OR t.working_day <= @to)
           ORDER BY t.received_at DESC, t.terminal_id, t.seq DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ siteId: null, workerId: null, from: null, to: null, ...scoped(scope), ...filter }) as Record<
      string,
      unknown
    >[];
    return rows.map(tapFromRow);
  }

  /** The taps a record holds (its shift's, from every terminal), voided and replaced ones too, in time order. */
  recordTaps(scope: TenantScope, key: RecordKey): StoredTap[] {
    this.record(scope, key);
    const site = this.#db.sql('SELECT day_boundary FROM sites WHERE site_id = ?').get(key.siteId) as {
      day_boundary: string;
    };
    const rows = this.#db.engine.run(
      recordTaps(this.#db.engine, key, site.day_boundary, MAX_SHIFT_HOURS_LIMIT * 3_600_000, 'show'),
    );
    return rows.map(tapFromRow);
  }

  /** Cards tapped at the tenant's sites (as prime) that no worker holds yet: a person binds them. */
  unknownCards(scope: TenantScope, filter: { siteId?: string; limit?: number; offset?: number }): UnknownCard[] {
    const rows = this.#db
      .sql(
        `WITH ${VISIBLE_SITES}
         SELECT t.site_id, t.tech, t.card_id, count(*) AS n, min(t.at) AS first_at, max(t.at) AS last_at
           FROM taps t JOIN visible v USING (site_id)
           WHERE t.worker_id IS NULL AND v.scope = 'prime' AND (@siteId IS NULL OR t.site_id = @siteId)
           GROUP BY t.site_id, t.tech, t.card_id ORDER BY max(t.at) DESC, t.card_id LIMIT @limit OFFSET @offset`,
      )
      .all({ siteId: null, limit: -1, offset: 0, ...scoped(scope), ...filter }) as {
      site_id: string;
      tech: string;
      card_id: string;
      n: number;
      first_at: string;
      last_at: string;
    }[];
    return rows.map((row) => ({
      siteId: row.site_id,
      card: { tech: row.tech, id: row.card_id },
      taps: row.n,
      firstAt: row.first_at,
      lastAt: row.last_at,
    }));
  }

  /** Sends a refused or held record again, once a person has fixed what stopped it (in CCUS or here). */
  retry(scope: TenantScope, key: RecordKey): WorkRecord {
    const record = this.record(scope, key);
    if (record.ccus === null || !['refused', 'held'].includes(record.ccus.state)) {
      throw new StoreError(
        'conflict',
        `the record is ${record.ccus?.state ?? 'not in the outbox'}; only refused or held records are sent again`,
      );
    }
    this.#outbox.release(key, ['refused', 'held']);
    return this.record(scope, key);
  }
}
