import { type CardRef, cardKey, type Direction } from '@ccus-gate/protocol';
import type { CcusOutbox } from '../ccus/outbox-store.js';
import type { SqliteDb } from '../store/sqlite-db.js';
import { buildRecord, type RecordOverride, type RecordTap } from './build-record.js';
import { type PairedTap, pairShifts } from './pair-shifts.js';
import { heldReason } from './record-flags.js';
import type { RecordKey } from './record-queue.js';
import { workerRole } from './worker-role.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/**
 * Taps further apart than this cannot touch each other's records: it is longer than a working
 * day (25 h across a DST change) and than the longest shift a site may allow (24 h).
 */
const INDEPENDENT_GAP_MS = 26 * HOUR_MS;
/**
 * How far a rebuild looks for such a gap. A worker who never leaves for 26 hours in two months
 * would otherwise make every rebuild read all their taps; past this, pairing starts afresh.
 */
const REACH_MS = 62 * DAY_MS;
/** Queued days this close together are rebuilt as one stretch. */
const CLUSTER_DAYS = 5;

interface TapRow {
  terminal_id: string;
  seq: number;
  tech: CardRef['tech'];
  card_id: string;
  direction: Direction;
  at: string;
  at_ms: number;
  working_day: string;
  record_day: string | null;
  effective_direction: Direction | null;
  clock_synced: number;
  boot_id: string;
  mono: number;
  flags: string;
  terminal_worker_id: string | null;
  void_correction: number | null;
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
  readonly #outbox: CcusOutbox;

  constructor(db: SqliteDb, outbox: CcusOutbox) {
    this.#db = db;
    this.#outbox = outbox;
  }

  /**
   * Rebuilds queued records in one transaction and returns the keys of the records built,
   * stopping once `budgetMs` have passed (a stretch with many taps takes long). At least one
   * stretch is built each call, so the queue always moves.
   */
  rebuildQueued(limit: number, budgetMs: number): RecordKey[] {
    const started = performance.now();
    return this.#db.transaction((): RecordKey[] => {
      const rows = this.#db.sql('SELECT site_id, worker_id, working_day FROM record_queue LIMIT ?').all(limit) as {
        site_id: string;
        worker_id: string;
        working_day: string;
      }[];
      const byWorker = new Map<string, { siteId: string; workerId: string; days: string[] }>();
      for (const row of rows) {
        const id = `${row.site_id}\u0000${row.worker_id}`;
        const entry = byWorker.get(id) ?? { siteId: row.site_id, workerId: row.worker_id, days: [] };
        entry.days.push(row.working_day);
        byWorker.set(id, entry);
      }
      const done = this.#db.sql('DELETE FROM record_queue WHERE site_id = ? AND worker_id = ? AND working_day = ?');
      const built: RecordKey[] = [];
      for (const { siteId, workerId, days } of byWorker.values()) {
        for (const cluster of clusters(days.sort())) {
          built.push(...this.#rebuildStretch(siteId, workerId, cluster));
          for (const day of cluster) done.run(siteId, workerId, day);
          if (performance.now() - started >= budgetMs) return built;
        }
      }
      return built;
    });
  }

  #rebuildStretch(siteId: string, workerId: string, queued: string[]): RecordKey[] {
    const site = this.#db.sql('SELECT max_shift_hours FROM sites WHERE site_id = ?').get(siteId) as
      | { max_shift_hours: number }
      | undefined;
    if (site === undefined) return [];
    const maxShiftMs = site.max_shift_hours * HOUR_MS;
    // Wall times may be off by a zone offset from their working day's date: a margin each side.
    const from = this.#stretchStart(siteId, workerId, dayMs(queued[0] as string) - 2 * DAY_MS);
    const until = this.#stretchEnd(siteId, workerId, dayMs(queued.at(-1) as string) + 3 * DAY_MS);
    const rows = this.#db
      .sql(
        `SELECT terminal_id, seq, tech, card_id, direction, at, at_ms, working_day, record_day, effective_direction,
             clock_synced, boot_id, mono, flags, terminal_worker_id, void_correction
           FROM taps WHERE site_id = ? AND worker_id = ? AND at_ms >= ? AND at_ms < ?`,
      )
      .all(siteId, workerId, from, until) as TapRow[];
    const byTap = new Map<string, TapRow>();
    for (const row of rows) byTap.set(`${row.terminal_id}/${row.seq}`, row);
    const paired = pairShifts(
      rows.map((row) => {
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
      }),
      maxShiftMs,
    );
    const days = new Set<string>(queued);
    const byDay = new Map<string, { row: TapRow; paired: PairedTap }[]>();
    const move = this.#db.sql(
      'UPDATE taps SET record_day = ?, effective_direction = ? WHERE terminal_id = ? AND seq = ?',
    );
    for (const pair of paired) {
      const row = byTap.get(`${pair.tap.terminalId}/${pair.tap.seq}`) as TapRow;
      if (row.record_day !== null) days.add(row.record_day);
      days.add(pair.recordDay);
      if (row.record_day !== pair.recordDay || row.effective_direction !== pair.direction) {
        move.run(pair.recordDay, pair.direction, row.terminal_id, row.seq);
      }
      const list = byDay.get(pair.recordDay) ?? [];
      list.push({ row, paired: pair });
      byDay.set(pair.recordDay, list);
    }
    const built: RecordKey[] = [];
    for (const day of days) {
      const key = { siteId, workerId, workingDay: day };
      if (this.#writeRecord(key, byDay.get(day) ?? [], maxShiftMs)) built.push(key);
    }
    return built;
  }

  /** Where pairing may start: the first tap after a gap that nothing reaches across, at or before `ms`. */
  #stretchStart(siteId: string, workerId: string, ms: number): number {
    const first = this.#db
      .sql('SELECT at_ms FROM taps WHERE site_id = ? AND worker_id = ? AND at_ms >= ? ORDER BY at_ms LIMIT 1')
      .get(siteId, workerId, ms) as { at_ms: number } | undefined;
    let newer = first?.at_ms ?? ms;
    const earlier = this.#db
      .sql(
        `SELECT at_ms FROM taps WHERE site_id = ? AND worker_id = ? AND at_ms < ? AND at_ms >= ?
           ORDER BY at_ms DESC`,
      )
      .pluck()
      .iterate(siteId, workerId, newer, newer - REACH_MS) as IterableIterator<number>;
    for (const at of earlier) {
      if (newer - at > INDEPENDENT_GAP_MS) return newer;
      newer = at;
    }
    return Math.min(newer, ms);
  }

  /** Where pairing may stop (exclusive): the first tap after `ms` that follows such a gap. */
  #stretchEnd(siteId: string, workerId: string, ms: number): number {
    const last = this.#db
      .sql('SELECT at_ms FROM taps WHERE site_id = ? AND worker_id = ? AND at_ms < ? ORDER BY at_ms DESC LIMIT 1')
      .get(siteId, workerId, ms) as { at_ms: number } | undefined;
    let older = last?.at_ms ?? ms;
    const later = this.#db
      .sql('SELECT at_ms FROM taps WHERE site_id = ? AND worker_id = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms')
      .pluck()
      .iterate(siteId, workerId, ms, older + REACH_MS) as IterableIterator<number>;
    for (const at of later) {
      if (at - older > INDEPENDENT_GAP_MS) return at;
      older = at;
    }
    return Math.max(older + 1, ms);
  }

  /** Builds and stores one record; false when it had nothing left and is gone. */
  #writeRecord(key: RecordKey, taps: { row: TapRow; paired: PairedTap }[], maxShiftMs: number): boolean {
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
    const counted = taps.filter((tap) => tap.paired.direction !== null);
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
      taps.map(({ row, paired }): RecordTap => {
        const flags = JSON.parse(row.flags) as string[];
        return {
          direction: paired.direction,
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
