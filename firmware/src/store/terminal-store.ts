import {
  type CardRef,
  cardKey,
  type Direction,
  type Roster,
  type Tap,
  type TapFlag,
  type TapRejectReason,
  type TerminalConfig,
  type WorkerId,
} from '@ccus-gate/protocol';
import type Database from 'better-sqlite3';
import { StoreError, toStoreError } from '../errors.js';
import { RosterCache } from './roster-cache.js';
import type { SequenceFloor } from './sequence-floor.js';
import { moveStoreFileAside, openStoreFile, openStoreFileReadOnly } from './store-file.js';
import {
  fromRow,
  type NewTap,
  type SettledRow,
  type SettledTap,
  type StoredTap,
  type StoreOptions,
  type StoreSummary,
  TAP_COLUMNS,
  TAP_STATES,
  type TapCounts,
  type TapRow,
  toWire,
} from './tap-rows.js';

export * from './tap-rows.js';

/** The page cache of the store's connection, in KiB. */
const PAGE_CACHE_KIB = 2048;

/**
 * The terminal's own disk: the outbox of taps, and beside it the roster and config the server
 * sent (roster-cache.ts). Every tap is committed with WAL and synchronous=FULL before the worker gets feedback,
 * so a green light survives a power cut.
 */
export class TerminalStore {
  readonly path: string;
  readonly #db: Database.Database;
  /** Prepared once per SQL text: preparing costs more than running most of these statements. */
  readonly #statements = new Map<string, Database.Statement>();
  readonly #insertTap: Database.Statement;
  readonly #pendingAfter: Database.Statement<[number, number], TapRow>;
  readonly #recentTaps: Database.Statement<[string, string], { direction: Direction; at: string; working_day: string }>;
  readonly #roster: RosterCache;
  /** Kept in memory so status costs nothing with a million taps queued; this store is the only writer. */
  readonly #counts: TapCounts = { pending: 0, delivered: 0, rejected: 0 };
  readonly #floor: SequenceFloor | null;

  private constructor(path: string, db: Database.Database, floor: SequenceFloor | null = null) {
    this.path = path;
    this.#db = db;
    this.#floor = floor;
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection. The terminal reads
    // its taps in order and a few index pages per tap, so SQLite's own default of 2 MiB is
    // plenty; the rest would be resident memory a Pi needs.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    // One partial index per state, so a restart with a million taps queued counts from the
    // indexes instead of reading the whole table. The state is in the SQL text, not bound:
    // SQLite picks a partial index only for a condition it can see when preparing.
    for (const state of TAP_STATES) {
      this.#counts[state] = (
        this.#sql(`SELECT count(*) AS n FROM taps WHERE state = '${state}'`).get() as { n: number }
      ).n;
    }
    this.#insertTap = this.#sql(
      `INSERT INTO taps (tech, card_id, worker_id, subject, direction, at, working_day, boot_id, mono, clock_synced, flags)
       VALUES (@tech, @card_id, @worker_id, @subject, @direction, @at, @working_day, @boot_id, @mono, @clock_synced, @flags)
       RETURNING *`,
    );
    this.#pendingAfter = this.#sql(
      `SELECT ${TAP_COLUMNS} FROM taps WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
    );
    this.#recentTaps = this.#sql(
      `SELECT direction, at, working_day FROM taps WHERE subject = ? AND working_day >= ? ORDER BY seq`,
    );
    this.#roster = new RosterCache(db, (text) => this.#sql(text));
  }

  // biome-ignore lint/suspicious/noExplicitAny: statements are typed where their rows are read.
  #sql<P extends unknown[] | object = any[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  /** Opens (creating and migrating) the store at `path` (store-file.ts). */
  static open(path: string, options: StoreOptions = {}): TerminalStore {
    const { db, floor } = openStoreFile(path);
    try {
      const store = new TerminalStore(path, db, floor);
      if (options.maxBytes !== undefined) store.setSizeLimit(options.maxBytes);
      return store;
    } catch (error) {
      db.close();
      throw toStoreError(error, `opening the terminal store at ${path}`);
    }
  }

  /**
   * Opens the store; if the file is corrupt, moves it aside (never deleting it: it may hold
   * taps not yet sent) and starts a new one above the sequence floor.
   */
  static openOrRecover(path: string, options: StoreOptions = {}): { store: TerminalStore; movedAside: string | null } {
    try {
      return { store: TerminalStore.open(path, options), movedAside: null };
    } catch (error) {
      if (!(error instanceof StoreError) || error.code !== 'corrupt') throw error;
      const aside = moveStoreFileAside(path);
      return { store: TerminalStore.open(path, options), movedAside: aside };
    }
  }

  /** Opens an existing store for `status` and `doctor`, which only read it. */
  static openReadOnly(path: string): TerminalStore {
    const db = openStoreFileReadOnly(path);
    try {
      return new TerminalStore(path, db);
    } catch (error) {
      db.close();
      throw toStoreError(error, `opening the terminal store at ${path} to read`);
    }
  }

  /** What `status` and `doctor` show about the store. */
  summary(): StoreSummary {
    const db = this.#db;
    const last = this.#sql('SELECT seq, at FROM taps ORDER BY seq DESC LIMIT 1').get() as
      | { seq: number; at: string }
      | undefined;
    const sequence = this.#sql(`SELECT seq FROM sqlite_sequence WHERE name = 'taps'`).get() as
      | { seq: number }
      | undefined;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return {
      path: this.path,
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      counts: this.counts(),
      oldestPendingAt: this.oldestPendingAt(),
      lastTap: last ?? null,
      highestSeq: sequence?.seq ?? 0,
      rosterVersion: this.rosterVersion(),
      bytes: (db.pragma('page_count', { simple: true }) as number) * pageSize,
    };
  }

  /** The database's size and its cap (null: none), for the days of taps the terminal still holds. */
  size(): { bytes: number; maxBytes: number | null } {
    const pageSize = this.#db.pragma('page_size', { simple: true }) as number;
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const maxPages = this.#db.pragma('max_page_count', { simple: true }) as number;
    return { bytes: pages * pageSize, maxBytes: maxPages >= 4_294_967_294 ? null : maxPages * pageSize };
  }

  /** The newest taps (at most `n`) and when the oldest of them was taken: the gate's recent rate. */
  recentRate(n = 1000): { count: number; since: string | null } {
    const row = this.#sql(
      'SELECT count(*) AS n, min(at) AS since FROM (SELECT at FROM taps ORDER BY seq DESC LIMIT ?)',
    ).get(n) as { n: number; since: string | null };
    return { count: row.n, since: row.since };
  }

  /** SQLite's own quick consistency check; 'ok' or the problems it found. */
  quickCheck(): string[] {
    return (this.#db.pragma('quick_check') as { quick_check: string }[]).map((row) => row.quick_check);
  }

  /** See `StoreOptions.maxBytes`; null lifts the cap. A cap below the current size holds it there. */
  setSizeLimit(maxBytes: number | null): void {
    const pageSize = this.#db.pragma('page_size', { simple: true }) as number;
    // SQLite's own ceiling, which is what "no cap" means to it.
    const pages = maxBytes === null ? 4_294_967_294 : Math.max(1, Math.floor(maxBytes / pageSize));
    this.#db.pragma(`max_page_count = ${pages}`);
  }

  close(): void {
    this.#db.close();
  }

  /** Writes one tap durably and returns it with its sequence number. */
  commitTap(tap: NewTap): StoredTap {
    try {
      const row = this.#insertTap.get({
        tech: tap.card.tech,
        card_id: tap.card.id,
        worker_id: tap.workerId,
        subject: tap.workerId ?? cardKey(tap.card),
        direction: tap.direction,
        at: tap.at.toISOString(),
        working_day: tap.workingDay,
        boot_id: tap.bootId,
        mono: tap.mono,
        clock_synced: tap.clockSynced ? 1 : 0,
        flags: JSON.stringify(tap.flags),
      }) as TapRow;
      this.#counts.pending++;
      try {
        this.#floor?.cover(row.seq);
      } catch {
        // The tap is committed; the reservation is tried again with the next one.
      }
      return fromRow(row);
    } catch (error) {
      throw toStoreError(error, 'committing a tap');
    }
  }

  /** Undelivered taps after `afterSeq`, oldest first, as they go out in a batch. */
  pendingAfter(afterSeq: number, limit: number): Tap[] {
    return this.#pendingAfter.all(afterSeq, limit).map(toWire);
  }

  /**
   * Applies the server's answer for taps it has seen: every pending tap in the range
   * becomes delivered, except the rejected ones, which keep their reason. Taps that
   * are already settled are left as they are, so a repeated ack changes nothing.
   */
  settle(
    range: { from: number; to: number },
    rejected: readonly { seq: number; reason: TapRejectReason; message: string }[],
    at: Date,
  ): SettledTap[] {
    const settledAt = at.toISOString();
    const run = this.#db.transaction((): SettledTap[] => {
      // The rejected few one by one, then the rest of the range in one statement: a
      // statement per tap costs more than the commit when a backlog drains.
      const reject = this.#sql<[string, string, number, number, number], SettledRow>(
        `UPDATE taps SET state = 'rejected', settled_at = ?, reject_reason = ?
         WHERE seq = ? AND seq BETWEEN ? AND ? AND state = 'pending' RETURNING seq, tech, card_id, reject_reason`,
      );
      const deliver = this.#sql<[string, number, number], SettledRow>(
        `UPDATE taps SET state = 'delivered', settled_at = ?
         WHERE state = 'pending' AND seq BETWEEN ? AND ? RETURNING seq, tech, card_id, reject_reason`,
      );
      const rows: SettledRow[] = [];
      for (const r of rejected) {
        const row = reject.get(settledAt, `${r.reason}: ${r.message}`, r.seq, range.from, range.to);
        if (row !== undefined) rows.push(row);
      }
      rows.push(...deliver.all(settledAt, range.from, range.to));
      return rows
        .sort((a, b) => a.seq - b.seq)
        .map((row) => ({
          seq: row.seq,
          card: { tech: row.tech, id: row.card_id } as CardRef,
          state: row.reject_reason === null ? 'delivered' : 'rejected',
          reason: row.reject_reason,
        }));
    });
    let settled: SettledTap[];
    try {
      settled = run();
    } catch (error) {
      throw toStoreError(error, `settling taps ${range.from}..${range.to}`);
    }
    for (const tap of settled) {
      this.#counts.pending--;
      this.#counts[tap.state]++;
    }
    return settled;
  }

  /**
   * Deletes up to `limit` delivered taps settled before `settledBefore`. Small batches keep
   * each transaction short, so a tap at the gate never waits long behind a prune.
   * Pending and rejected taps are never pruned.
   */
  prune(settledBefore: Date, limit = 500): number {
    try {
      const { changes } = this.#sql(
        `DELETE FROM taps WHERE seq IN (
             SELECT seq FROM taps WHERE state = 'delivered' AND settled_at < ? ORDER BY settled_at LIMIT ?)`,
      ).run(settledBefore.toISOString(), limit);
      this.#counts.delivered -= changes;
      return changes;
    } catch (error) {
      throw toStoreError(error, 'pruning delivered taps');
    }
  }

  /**
   * Once this boot's clock can be trusted, rewrites the wall time of its taps that are still
   * pending and were taken before, from their monotonic time: at = mono + offset. The first
   * wall time is kept in raw_at, and the tap is flagged clock_corrected. Delivered taps are
   * corrected by the server, which gets the same offset from this boot's next synchronised tap.
   */
  correctBoot(bootId: string, offsetMs: number, dayOf: (at: Date) => string): number {
    const run = this.#db.transaction((): number => {
      const rows = this.#sql(
        `SELECT seq, mono, flags FROM taps WHERE state = 'pending' AND boot_id = ? AND clock_synced = 0 ORDER BY seq`,
      ).all(bootId) as { seq: number; mono: number; flags: string }[];
      const update = this.#sql(
        `UPDATE taps SET raw_at = at, at = ?, working_day = ?, clock_synced = 1, flags = ? WHERE seq = ?`,
      );
      for (const row of rows) {
        const at = new Date(row.mono + offsetMs);
        const flags = JSON.parse(row.flags) as TapFlag[];
        if (!flags.includes('clock_corrected')) flags.push('clock_corrected');
        update.run(at.toISOString(), dayOf(at), JSON.stringify(flags), row.seq);
      }
      return rows.length;
    });
    try {
      return run();
    } catch (error) {
      throw toStoreError(error, `correcting the clock of boot ${bootId}`);
    }
  }

  /**
   * Whether the store can take a tap now: writes and removes a row of a few pages, as many as
   * a tap can need at worst (its table's page and each index's splitting at once). Used only
   * while the terminal shows a store fault, to notice without a tap that space has returned.
   */
  probeWritable(): void {
    try {
      this.#db.transaction(() => {
        this.#sql(`INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', hex(randomblob(8192)))`).run();
        this.#sql(`DELETE FROM meta WHERE key = 'probe'`).run();
      })();
    } catch (error) {
      throw toStoreError(error, 'checking that the store can be written');
    }
  }

  tap(seq: number): StoredTap | null {
    const row = this.#sql(`SELECT ${TAP_COLUMNS} FROM taps WHERE seq = ?`).get(seq) as TapRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  counts(): TapCounts {
    return { ...this.#counts };
  }

  /**
   * Forgets the previous tenant on a move to another site: its roster, its config and the
   * taps it already has. Taps still waiting are kept and go out with the new credentials:
   * the server files them under the lease in force when they were taken, so they reach the
   * previous tenant and never the new one. Sequence numbers go on (AUTOINCREMENT).
   */
  forgetTenant(): { forgotten: number; waiting: number } {
    const waiting = this.#counts.pending;
    const forgotten = this.#db.transaction(() => {
      const taps = this.#sql(`DELETE FROM taps WHERE state <> 'pending'`).run().changes;
      this.#roster.forget();
      return taps;
    })();
    this.#counts.delivered = 0;
    this.#counts.rejected = 0;
    return { forgotten, waiting };
  }

  /** The most recent rejections with their reasons, for status and doctor. */
  rejections(limit = 10): { seq: number; card: CardRef; reason: string; settledAt: string }[] {
    const rows = this.#sql(
      `SELECT seq, tech, card_id, reject_reason, settled_at FROM taps WHERE state = 'rejected' ORDER BY seq DESC LIMIT ?`,
    ).all(limit) as {
      seq: number;
      tech: CardRef['tech'];
      card_id: string;
      reject_reason: string;
      settled_at: string;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      card: { tech: r.tech, id: r.card_id } as CardRef,
      reason: r.reject_reason,
      settledAt: r.settled_at,
    }));
  }

  /** The raw wall time a correction replaced, if any. */
  rawAt(seq: number): string | null {
    const row = this.#sql('SELECT raw_at FROM taps WHERE seq = ?').get(seq) as { raw_at: string | null } | undefined;
    return row?.raw_at ?? null;
  }

  oldestPendingAt(): string | null {
    const row = this.#sql(`SELECT at FROM taps WHERE state = 'pending' ORDER BY seq LIMIT 1`).get() as
      | { at: string }
      | undefined;
    return row?.at ?? null;
  }

  /** The subject's taps from working day `sinceDay` on, in the order taken. */
  recentTaps(subject: string, sinceDay: string): { direction: Direction; at: string; workingDay: string }[] {
    return this.#recentTaps
      .all(subject, sinceDay)
      .map((row) => ({ direction: row.direction, at: row.at, workingDay: row.working_day }));
  }

  /** The worker a card is bound to on the roster; a QR code's worker when the roster has them. */
  resolveCard(card: CardRef): WorkerId | null {
    return this.#roster.resolveCard(card);
  }

  rosterVersion(): number | null {
    return this.#roster.rosterVersion();
  }

  /** Replaces the roster in one transaction; an older or equal version is ignored. */
  applyRoster(roster: Roster): boolean {
    return this.#roster.applyRoster(roster);
  }

  /** The server's last config, kept so a restart without network still runs by it. */
  savedConfig(): TerminalConfig | null {
    return this.#roster.savedConfig();
  }

  /** Writes the config only when its version is new: nothing is written on a mere reconnect. */
  saveConfig(config: TerminalConfig): boolean {
    return this.#roster.saveConfig(config);
  }
}
