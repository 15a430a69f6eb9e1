import {
  type SiteId,
  type Tap,
  type TapBatch,
  type TapFlag,
  type TapRejectReason,
  type TerminalId,
  type WorkerId,
  type WorkingDayRule,
  workingDay,
  workingDayCache,
} from '@ccus-gate/protocol';
import { buildRecord, heldReason } from '../records/build-record.js';
import { CorrectionStore } from './correction-store.js';
import { DirectoryStore, type TerminalAssignment } from './directory-store.js';
import {
  type QuarantinedMessage,
  type QuarantineRow,
  quarantineFromRow,
  type RecordKey,
  RecordQueries,
} from './record-queries.js';
import { SqliteDb } from './sqlite-db.js';

export interface StoredBatch {
  accepted: { from: number; to: number };
  rejected: { seq: number; reason: TapRejectReason; message: string }[];
  /** How many taps were new (not seen before). */
  inserted: number;
  /** Records created or changed by this batch. */
  records: RecordKey[];
}

export interface OutboxItem extends RecordKey {
  idempotencyKey: string;
  attempts: number;
  revision: number;
  companyId: string;
  firstIn: string | null;
  lastOut: string | null;
}

export interface QuarantineEntry {
  topic: string;
  clientId: string | null;
  code: string;
  reason: string;
  payload: Buffer;
}

/** The same card, direction and moment of the same boot: the same tap, whatever the wall clock said. */
function sameEvent(row: Record<string, unknown>, tap: Tap): boolean {
  return (
    row.tech === tap.card.tech &&
    row.card_id === tap.card.id &&
    row.direction === tap.direction &&
    row.boot_id === tap.bootId &&
    row.mono === tap.mono
  );
}

/**
 * How a tap sent again relates to the stored one with its sequence number. A terminal
 * corrects its pending taps once its clock synchronises, so the same tap may come again
 * with a corrected time: that is a correction (or, the other way round, a replay of the
 * older version), never a conflict.
 */
function compareTap(row: Record<string, unknown>, tap: Tap): 'replay' | 'correction' | 'conflict' {
  if (!sameEvent(row, tap)) return 'conflict';
  if (Date.parse(String(row.at)) === Date.parse(tap.at)) return 'replay';
  const storedSynced = row.clock_synced === 1;
  if (!storedSynced && tap.clockSynced && tap.flags.includes('clock_corrected')) return 'correction';
  if (storedSynced && !tap.clockSynced && String(row.flags).includes('clock_corrected')) return 'replay';
  return 'conflict';
}

/** The sync server's SQLite store. One transaction per tap batch, WAL for concurrent readers. */
export class ServerStore {
  readonly db: SqliteDb;
  readonly directory: DirectoryStore;
  readonly queries: RecordQueries;
  readonly corrections: CorrectionStore;

  private constructor(db: SqliteDb) {
    this.db = db;
    this.directory = new DirectoryStore(db);
    this.queries = new RecordQueries(db);
    this.corrections = new CorrectionStore(db, this.directory, this.queries);
  }

  static open(path: string, now: () => Date = () => new Date()): ServerStore {
    return new ServerStore(SqliteDb.open(path, now));
  }

  close(): void {
    this.db.close();
  }

  // ---- ingest ---------------------------------------------------------------------

  /**
   * Stores a batch idempotently by (terminal, seq) and queues the records it touches, all in
   * one transaction: either the whole batch is in and its ack may go, or nothing is.
   */
  storeBatch(terminal: TerminalAssignment & { siteId: SiteId; rule: WorkingDayRule }, batch: TapBatch): StoredBatch {
    const db = this.db.raw;
    const receivedAt = this.db.iso();
    const existing = this.db.sql('SELECT * FROM taps WHERE terminal_id = ? AND seq = ?');
    const resolve = this.db.sql('SELECT worker_id FROM cards WHERE tech = ? AND card_id = ?');
    const insert = this.db.sql(
      `INSERT INTO taps (terminal_id, seq, site_id, tech, card_id, terminal_worker_id, worker_id, direction, at,
         working_day, boot_id, mono, clock_synced, flags, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (terminal_id, seq) DO NOTHING`,
    );
    const unsynced = this.db.sql('SELECT * FROM taps WHERE terminal_id = ? AND boot_id = ? AND clock_synced = 0');
    // Where a tap belongs: the site of the lease in force when it was taken. A terminal moved
    // to another tenant may still deliver taps from its last lease; they stay that tenant's.
    const current = { siteId: terminal.siteId, days: workingDayCache(terminal.rule) };
    const earlier = terminal.earlier.map((lease) => ({ ...lease, days: workingDayCache(lease.rule) }));
    const placeOf = (at: string): { siteId: SiteId; days: { of(at: string): string } } => {
      if (earlier.length === 0) return current;
      const ms = Date.parse(at);
      // Before its first lease (a clock far off): the first lease is the best guess there is.
      if (ms < (earlier[0] as { fromMs: number }).fromMs) return earlier[0] as (typeof earlier)[number];
      return earlier.find((lease) => ms >= lease.fromMs && ms < lease.untilMs) ?? current;
    };
    return db.transaction((): StoredBatch => {
      const rejected: StoredBatch['rejected'] = [];
      const touched = new Map<string, RecordKey>();
      const touch = (siteId: string, workerId: string | null, day: string): void => {
        if (workerId === null) return;
        const key = { siteId, workerId: workerId as WorkerId, workingDay: day };
        touched.set(`${key.siteId}/${key.workerId}/${key.workingDay}`, key);
      };
      let inserted = 0;
      for (const tap of batch.taps) {
        const serverWorker = (resolve.get(tap.card.tech, tap.card.id) as { worker_id: string } | undefined)?.worker_id;
        const workerId = serverWorker ?? tap.workerId;
        const place = placeOf(tap.at);
        const day = place.days.of(tap.at);
        const result = insert.run(
          terminal.terminalId,
          tap.seq,
          place.siteId,
          tap.card.tech,
          tap.card.id,
          tap.workerId,
          workerId,
          tap.direction,
          tap.at,
          day,
          tap.bootId,
          tap.mono,
          tap.clockSynced ? 1 : 0,
          tap.flags.length === 0 ? '[]' : JSON.stringify(tap.flags),
          receivedAt,
        );
        // Seen before: a replay when it is the same tap, a conflict when it is not.
        if (result.changes === 0) {
          const before = existing.get(terminal.terminalId, tap.seq) as Record<string, unknown>;
          const relation = compareTap(before, tap);
          if (relation === 'correction') {
            this.#correctTap(before, Date.parse(tap.at) - tap.mono, touch);
          } else if (relation === 'conflict') {
            rejected.push({
              seq: tap.seq,
              reason: 'conflict',
              message: `seq ${tap.seq} is already stored with different content (card ${String(before.card_id)} at ${String(before.at)})`,
            });
          }
          continue;
        }
        inserted++;
        touch(place.siteId, workerId, day);
      }
      // A synchronised tap tells how this boot's monotonic time maps to wall time, which
      // corrects the boot's earlier taps that went out before the clock could be trusted.
      const offsets = new Map<string, number>();
      for (const tap of batch.taps) if (tap.clockSynced) offsets.set(tap.bootId, Date.parse(tap.at) - tap.mono);
      for (const [bootId, offsetMs] of offsets) {
        for (const row of unsynced.all(terminal.terminalId, bootId) as Record<string, unknown>[]) {
          this.#correctTap(row, offsetMs, touch);
        }
      }
      // Records are rebuilt after the ack (rebuildQueuedRecords), so a big backlog drains at the
      // speed of storing taps; the queue is written here, in the same transaction as the taps.
      const queue = this.db.sql(
        'INSERT INTO record_queue (site_id, worker_id, working_day) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const key of touched.values()) queue.run(key.siteId, key.workerId, key.workingDay);
      const first = batch.taps[0] as Tap;
      const last = batch.taps[batch.taps.length - 1] as Tap;
      return { accepted: { from: first.seq, to: last.seq }, rejected, inserted, records: [...touched.values()] };
    })();
  }

  /**
   * Rebuilds up to `limit` queued records in one transaction and returns their keys, stopping
   * early once `budgetMs` have passed (a record with many taps takes long). The ingest calls
   * it until the queue is empty; it is also how records catch up after a restart.
   */
  rebuildQueuedRecords(limit = 200, budgetMs = Number.POSITIVE_INFINITY): RecordKey[] {
    const started = performance.now();
    return this.db.raw.transaction((): RecordKey[] => {
      const keys = (
        this.db.sql('SELECT site_id, worker_id, working_day FROM record_queue LIMIT ?').all(limit) as {
          site_id: string;
          worker_id: string;
          working_day: string;
        }[]
      ).map((row) => ({
        siteId: row.site_id as SiteId,
        workerId: row.worker_id as WorkerId,
        workingDay: row.working_day,
      }));
      const done = this.db.sql('DELETE FROM record_queue WHERE site_id = ? AND worker_id = ? AND working_day = ?');
      const built: RecordKey[] = [];
      for (const key of keys) {
        this.#rebuildRecord(key);
        done.run(key.siteId, key.workerId, key.workingDay);
        built.push(key);
        if (performance.now() - started >= budgetMs) break;
      }
      return built;
    })();
  }

  /** How many records wait to be rebuilt. */
  queuedRecords(): number {
    return (this.db.sql('SELECT count(*) AS n FROM record_queue').get() as { n: number }).n;
  }

  /** Rewrites one stored tap's wall time from its monotonic time; both the old and the new day's records change. */
  #correctTap(
    row: Record<string, unknown>,
    offsetMs: number,
    touch: (siteId: string, workerId: string | null, day: string) => void,
  ): void {
    const siteId = String(row.site_id);
    const rule = this.db.sql('SELECT time_zone, day_boundary FROM sites WHERE site_id = ?').get(siteId) as {
      time_zone: string;
      day_boundary: string;
    };
    const at = new Date(Number(row.mono) + offsetMs);
    const day = workingDay(at, { timeZone: rule.time_zone, dayBoundary: rule.day_boundary });
    const flags = JSON.parse(String(row.flags)) as TapFlag[];
    if (!flags.includes('clock_corrected')) flags.push('clock_corrected');
    this.db
      .sql(
        `UPDATE taps SET raw_at = at, at = ?, working_day = ?, clock_synced = 1, flags = ?
         WHERE terminal_id = ? AND seq = ?`,
      )
      .run(at.toISOString(), day, JSON.stringify(flags), row.terminal_id, row.seq);
    const workerId = (row.worker_id as string | null) ?? null;
    touch(siteId, workerId, String(row.working_day));
    touch(siteId, workerId, day);
  }

  #rebuildRecord(key: RecordKey): void {
    const taps = this.db
      .sql(
        `SELECT direction, at, clock_synced, terminal_worker_id FROM taps WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
      )
      .all(key.siteId, key.workerId, key.workingDay) as {
      direction: 'in' | 'out';
      at: string;
      clock_synced: number;
      terminal_worker_id: string | null;
    }[];
    const override = this.db
      .sql('SELECT first_in, last_out FROM record_overrides WHERE site_id = ? AND worker_id = ? AND working_day = ?')
      .get(key.siteId, key.workerId, key.workingDay) as
      | { first_in: string | null; last_out: string | null }
      | undefined;
    if (taps.length === 0 && override === undefined) {
      // Its taps moved to another day (a clock correction). Not yet at CCUS: gone with them.
      // Already at CCUS: kept as it is, for a person to correct there.
      this.db
        .sql(
          `DELETE FROM ccus_outbox WHERE site_id = ? AND worker_id = ? AND working_day = ? AND state NOT IN ('accepted', 'sending')`,
        )
        .run(key.siteId, key.workerId, key.workingDay);
      this.db
        .sql(
          `DELETE FROM records WHERE site_id = ? AND worker_id = ? AND working_day = ? AND NOT EXISTS (
           SELECT 1 FROM ccus_outbox o WHERE o.site_id = records.site_id AND o.worker_id = records.worker_id
             AND o.working_day = records.working_day)`,
        )
        .run(key.siteId, key.workerId, key.workingDay);
      return;
    }
    const onRoster =
      this.db.sql('SELECT 1 FROM site_roster WHERE site_id = ? AND worker_id = ?').get(key.siteId, key.workerId) !==
      undefined;
    const detail = buildRecord(
      taps.map((t) => ({
        direction: t.direction,
        at: t.at,
        clockSynced: t.clock_synced === 1,
        unknownAtGate: t.terminal_worker_id === null,
      })),
      onRoster,
      override === undefined ? null : { firstIn: override.first_in, lastOut: override.last_out },
    );
    const now = this.db.iso();
    this.db
      .sql(
        `INSERT INTO records (site_id, worker_id, working_day, first_in, last_out, tap_count, flags, revision, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
         first_in = excluded.first_in, last_out = excluded.last_out, tap_count = excluded.tap_count,
         flags = excluded.flags, revision = records.revision + 1, updated_at = excluded.updated_at`,
      )
      .run(
        key.siteId,
        key.workerId,
        key.workingDay,
        detail.firstIn,
        detail.lastOut,
        detail.tapCount,
        JSON.stringify(detail.flags),
        now,
      );
    // A changed record goes to CCUS again (same idempotency key: CCUS keeps one per worker, site and day),
    // unless it waits for a person: held here, or refused by CCUS until a person sends it again.
    const held = heldReason(detail);
    this.db
      .sql(
        `INSERT INTO ccus_outbox (site_id, worker_id, working_day, idempotency_key, state, next_attempt_at, held_reason)
       VALUES (@siteId, @workerId, @workingDay, @key, CASE WHEN @held IS NULL THEN 'pending' ELSE 'held' END, @now, @held)
       ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
         state = CASE
           WHEN ccus_outbox.state IN ('sending', 'refused') THEN ccus_outbox.state
           WHEN @held IS NOT NULL THEN 'held'
           ELSE 'pending' END,
         held_reason = CASE WHEN ccus_outbox.state IN ('sending', 'refused') THEN ccus_outbox.held_reason ELSE @held END,
         next_attempt_at = excluded.next_attempt_at`,
      )
      .run({
        ...key,
        key: `${key.siteId}:${key.workerId}:${key.workingDay}`,
        held,
        now,
      });
  }

  tapCount(terminalId: TerminalId): number {
    return (this.db.sql('SELECT count(*) AS n FROM taps WHERE terminal_id = ?').get(terminalId) as { n: number }).n;
  }

  quarantine(entry: QuarantineEntry): number {
    const result = this.db
      .sql('INSERT INTO quarantine (received_at, topic, client_id, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.db.iso(), entry.topic, entry.clientId, entry.code, entry.reason, entry.payload);
    return Number(result.lastInsertRowid);
  }

  quarantined(): QuarantinedMessage[] {
    return (this.db.sql('SELECT * FROM quarantine ORDER BY id').all() as QuarantineRow[]).map(quarantineFromRow);
  }

  // ---- CCUS outbox ----------------------------------------------------------------

  /** Claims records due for sending and marks them `sending`. */
  claimDue(limit: number): OutboxItem[] {
    const now = this.db.iso();
    return this.db.raw.transaction(() => {
      const rows = this.db
        .sql(
          `SELECT o.site_id, o.worker_id, o.working_day, o.idempotency_key, o.attempts, r.revision, r.first_in, r.last_out,
             t.company_id
           FROM ccus_outbox o
           JOIN records r USING (site_id, worker_id, working_day)
           JOIN sites s ON s.site_id = o.site_id
           JOIN tenants t ON t.tenant_id = s.tenant_id
           WHERE o.state IN ('pending', 'retrying') AND o.next_attempt_at <= ?
           ORDER BY o.next_attempt_at LIMIT ?`,
        )
        .all(now, limit) as {
        site_id: string;
        worker_id: string;
        working_day: string;
        idempotency_key: string;
        attempts: number;
        revision: number;
        first_in: string | null;
        last_out: string | null;
        company_id: string;
      }[];
      const mark = this.db.sql(
        `UPDATE ccus_outbox SET state = 'sending', attempts = attempts + 1, sent_revision = ?
         WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
      );
      for (const row of rows) mark.run(row.revision, row.site_id, row.worker_id, row.working_day);
      return rows.map((row) => ({
        siteId: row.site_id,
        workerId: row.worker_id,
        workingDay: row.working_day,
        idempotencyKey: row.idempotency_key,
        attempts: row.attempts + 1,
        revision: row.revision,
        companyId: row.company_id,
        firstIn: row.first_in,
        lastOut: row.last_out,
      }));
    })();
  }

  /** Accepted; but if the record changed while it was being sent, it goes again. */
  markAccepted(item: OutboxItem, receipt: string): void {
    this.db
      .sql(
        `UPDATE ccus_outbox SET
           state = CASE WHEN (SELECT revision FROM records r WHERE r.site_id = ccus_outbox.site_id
                      AND r.worker_id = ccus_outbox.worker_id AND r.working_day = ccus_outbox.working_day) > sent_revision
                   THEN 'pending' ELSE 'accepted' END,
           receipt = ?, accepted_at = ?, last_error = NULL
         WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
      )
      .run(receipt, this.db.iso(), item.siteId, item.workerId, item.workingDay);
  }

  markRefused(item: RecordKey, reason: string): void {
    this.db
      .sql(
        `UPDATE ccus_outbox SET state = 'refused', last_error = ? WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
      )
      .run(reason, item.siteId, item.workerId, item.workingDay);
  }

  /** Due again at `nextAttemptAt`. `spent: false` gives back the attempt of a record claimed but never sent. */
  markRetry(item: RecordKey, reason: string, nextAttemptAt: Date, spent = true): void {
    this.db
      .sql(
        `UPDATE ccus_outbox SET state = CASE WHEN @spent THEN 'retrying' ELSE 'pending' END,
           attempts = attempts - CASE WHEN @spent THEN 0 ELSE 1 END, last_error = @reason, next_attempt_at = @at
         WHERE site_id = @siteId AND worker_id = @workerId AND working_day = @workingDay`,
      )
      .run({
        spent: spent ? 1 : 0,
        reason,
        at: nextAttemptAt.toISOString(),
        siteId: item.siteId,
        workerId: item.workerId,
        workingDay: item.workingDay,
      });
  }

  /** Puts records left `sending` by a crash back in the queue. */
  requeueSending(): number {
    return this.db.sql(`UPDATE ccus_outbox SET state = 'pending' WHERE state = 'sending'`).run().changes;
  }
}
