import type { Direction, ShiftState } from '@ccus-gate/protocol';
import type { CcusOutbox } from '../ccus/outbox-store.js';
import type { SqliteEngine } from '../store/engine/sqlite-engine.js';
import type { SqliteDb } from '../store/sqlite-db.js';
import { buildRecord, type RecordOverride, type RecordTap } from './build-record.js';
import { heldReason } from './record-flags.js';
import { queuedRecords, type RecordKey } from './record-queue.js';
import { recordTaps, repairStretch } from './shift-stretch.js';
import { workerRole } from './worker-role.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Queued days this close together are rebuilt as one stretch. */
const CLUSTER_DAYS = 5;

/** What building a record reads of each of its taps. */
const TAP_COLUMNS =
  't.terminal_id, t.boot_id, t.mono, t.at, t.at_ms, t.effective_direction, t.clock_synced, t.flags, t.terminal_worker_id';

interface TapRow {
  terminal_id: string;
  boot_id: string;
  mono: number;
  at: string;
  at_ms: number;
  effective_direction: Direction | null;
  clock_synced: number;
  flags: string;
  terminal_worker_id: string | null;
}

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/**
 * Builds work records from taps, the one place that does: it takes the queued worker-days,
 * pairs each worker's taps at the site into shifts (every terminal and reader, in time
 * order), builds each day's record with its flags, trade and position, stores it, and offers
 * it to the CCUS outbox.
 */
export class RecordRebuild {
  readonly #db: SqliteDb;
  readonly #outbox: CcusOutbox<SqliteEngine>;

  constructor(db: SqliteDb, outbox: CcusOutbox<SqliteEngine>) {
    this.#db = db;
    this.#outbox = outbox;
  }

  /** How many worker-days wait to be rebuilt. */
  queued(): number {
    return queuedRecords(this.#db);
  }

  /**
   * Rebuilds queued records in one transaction and returns the keys of the records built,
   * stopping once `budgetMs` have passed (a stretch with many taps takes long). At least one
   * stretch is built each call, so the queue always moves.
   */
  rebuildQueued(limit = 200, budgetMs = Number.POSITIVE_INFINITY): RecordKey[] {
    const started = performance.now();
    return this.#db.transaction((): RecordKey[] => {
      const rows = this.#db
        .sql('SELECT site_id, worker_id, working_day, from_ms FROM record_queue LIMIT ?')
        .all(limit) as { site_id: string; worker_id: string; working_day: string; from_ms: number | null }[];
      const byWorker = new Map<
        string,
        { siteId: string; workerId: string; days: string[]; fromMs: Map<string, number | null> }
      >();
      for (const row of rows) {
        const id = `${row.site_id}\u0000${row.worker_id}`;
        const entry = byWorker.get(id) ?? {
          siteId: row.site_id,
          workerId: row.worker_id,
          days: [],
          fromMs: new Map<string, number | null>(),
        };
        entry.days.push(row.working_day);
        entry.fromMs.set(row.working_day, row.from_ms);
        byWorker.set(id, entry);
      }
      const done = this.#db.sql('DELETE FROM record_queue WHERE site_id = ? AND worker_id = ? AND working_day = ?');
      const built: RecordKey[] = [];
      for (const { siteId, workerId, days, fromMs } of byWorker.values()) {
        for (const cluster of clusters(days.sort())) {
          const times = cluster.map((day) => fromMs.get(day) ?? null);
          const earliest = times.includes(null) ? null : Math.min(...(times as number[]));
          built.push(...this.#rebuildStretch(siteId, workerId, cluster, earliest));
          for (const day of cluster) done.run(siteId, workerId, day);
          if (performance.now() - started >= budgetMs) return built;
        }
      }
      return built;
    });
  }

  #rebuildStretch(siteId: string, workerId: string, queued: string[], fromMs: number | null): RecordKey[] {
    const site = this.#db.sql('SELECT day_boundary, max_shift_hours FROM sites WHERE site_id = ?').get(siteId) as
      | { day_boundary: string; max_shift_hours: number }
      | undefined;
    if (site === undefined) return [];
    const maxShiftMs = site.max_shift_hours * HOUR_MS;
    const change = repairStretch(
      this.#db,
      { siteId, dayBoundary: site.day_boundary, maxShiftMs },
      workerId,
      queued,
      fromMs,
    );
    if (change.latest !== null) this.#notePresence(siteId, workerId, change.latest);
    const built: RecordKey[] = [];
    for (const day of change.days) {
      const key = { siteId, workerId, workingDay: day };
      const taps = recordTaps(this.#db, key, site.day_boundary, maxShiftMs, TAP_COLUMNS) as unknown as TapRow[];
      if (this.#writeRecord(key, taps, maxShiftMs)) built.push(key);
    }
    return built;
  }

  /** Where the worker stands after their latest tap at the site: who is on site (records/presence.ts). */
  #notePresence(siteId: string, workerId: string, latest: { state: ShiftState | null; atMs: number }): void {
    if (latest.state === null) {
      this.#db.sql('DELETE FROM worker_presence WHERE site_id = ? AND worker_id = ?').run(siteId, workerId);
      return;
    }
    this.#db
      .sql(
        `INSERT INTO worker_presence (site_id, worker_id, last_direction, record_day, shift_start_ms, last_at_ms)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (site_id, worker_id) DO UPDATE SET last_direction = excluded.last_direction,
           record_day = excluded.record_day, shift_start_ms = excluded.shift_start_ms, last_at_ms = excluded.last_at_ms`,
      )
      .run(siteId, workerId, latest.state.last, latest.state.recordDay, latest.state.shiftStartMs, latest.atMs);
  }

  /** Builds and stores one record; false when it had nothing left and is gone. */
  #writeRecord(key: RecordKey, taps: TapRow[], maxShiftMs: number): boolean {
    const override = this.#db
      .sql(
        `SELECT first_in, last_out, trade, position FROM record_overrides
           WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
      )
      .get(key.siteId, key.workerId, key.workingDay) as
      | { first_in: string | null; last_out: string | null; trade: string | null; position: string | null }
      | undefined;
    const times: RecordOverride | null =
      override === undefined || (override.first_in === null && override.last_out === null)
        ? null
        : { firstIn: override.first_in, lastOut: override.last_out };
    const counted = taps.filter((tap) => tap.effective_direction !== null);
    if (counted.length === 0 && times === null) {
      // Its taps moved to another day or were voided. Not yet at CCUS: gone with them.
      // Already at CCUS: kept as it is, for a person to correct there.
      if (this.#outbox.withdraw(key)) {
        this.#db
          .sql('DELETE FROM records WHERE site_id = ? AND worker_id = ? AND working_day = ?')
          .run(key.siteId, key.workerId, key.workingDay);
        return false;
      }
      this.#db
        .sql(
          `UPDATE records SET tap_count = 0, flags = '["withdrawn"]', revision = revision + 1, updated_at = ?
             WHERE site_id = ? AND worker_id = ? AND working_day = ? AND flags <> '["withdrawn"]'`,
        )
        .run(this.#db.iso(), key.siteId, key.workerId, key.workingDay);
      return true;
    }
    const role = workerRole(this.#db, key);
    const trade = override?.trade ?? role.trade;
    const position = override?.position ?? role.position;
    const detail = buildRecord(
      taps.map((row): RecordTap => {
        const flags = JSON.parse(row.flags) as string[];
        return {
          direction: row.effective_direction,
          at: row.at,
          atMs: row.at_ms,
          clockSynced: row.clock_synced === 1,
          clockCorrected: flags.includes('clock_corrected'),
          clock: { key: `${row.terminal_id}/${row.boot_id}`, offsetMs: row.at_ms - row.mono },
          implausible: flags.includes('implausible_time'),
          unknownAtGate: row.terminal_worker_id === null,
        };
      }),
      { onRoster: role.onRoster, trade, maxShiftMs },
      times,
    );
    this.#db
      .sql(
        `INSERT INTO records (site_id, worker_id, working_day, first_in, last_out, tap_count, flags, trade, position,
             revision, updated_at)
         VALUES (@siteId, @workerId, @workingDay, @firstIn, @lastOut, @tapCount, @flags, @trade, @position, 1, @now)
         ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
           first_in = excluded.first_in, last_out = excluded.last_out, tap_count = excluded.tap_count,
           flags = excluded.flags, trade = excluded.trade, position = excluded.position,
           revision = records.revision + 1, updated_at = excluded.updated_at
         WHERE records.first_in IS NOT excluded.first_in OR records.last_out IS NOT excluded.last_out
           OR records.tap_count <> excluded.tap_count OR records.flags <> excluded.flags
           OR records.trade IS NOT excluded.trade OR records.position IS NOT excluded.position`,
      )
      .run({ ...key, ...detail, flags: JSON.stringify(detail.flags), trade, position, now: this.#db.iso() });
    this.#outbox.offer(key, { firstIn: detail.firstIn, lastOut: detail.lastOut, trade, position }, heldReason(detail));
    return true;
  }
}

/** Sorted days split where two are more than CLUSTER_DAYS apart. */
function clusters(days: string[]): string[][] {
  const out: string[][] = [];
  for (const day of days) {
    const current = out.at(-1);
    if (current !== undefined && dayMs(day) - dayMs(current.at(-1) as string) <= CLUSTER_DAYS * DAY_MS) {
      current.push(day);
    } else {
      out.push([day]);
    }
  }
  return out;
}
