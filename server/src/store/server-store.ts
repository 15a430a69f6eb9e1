import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type CardRef,
  ccusDeadline,
  type Roster,
  type SiteId,
  type Tap,
  type TapBatch,
  type TapFlag,
  type TapRejectReason,
  type TerminalId,
  type WorkerId,
  type WorkingDayRule,
  workingDay,
} from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { generateSecret, hashSecret, secretMatches } from '../credentials.js';
import { buildRecord, type RecordFlag } from '../records/build-record.js';
import { MIGRATIONS } from './migrations.js';

export type Role = 'admin' | 'viewer';
export type OutboxState = 'pending' | 'sending' | 'accepted' | 'refused' | 'retrying';

export interface TerminalAssignment {
  terminalId: TerminalId;
  tenantId: string | null;
  siteId: SiteId | null;
  rule: WorkingDayRule | null;
}

export interface RecordKey {
  siteId: string;
  workerId: string;
  workingDay: string;
}

export interface StoredBatch {
  accepted: { from: number; to: number };
  rejected: { seq: number; reason: TapRejectReason; message: string }[];
  /** How many taps were new (not seen before). */
  inserted: number;
  /** Records created or changed by this batch. */
  records: RecordKey[];
}

export interface WorkRecord extends RecordKey {
  firstIn: string | null;
  lastOut: string | null;
  tapCount: number;
  flags: RecordFlag[];
  revision: number;
  deadline: string;
  ccus: { state: OutboxState; attempts: number; lastError: string | null; receipt: string | null } | null;
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

interface RecordRow {
  site_id: string;
  worker_id: string;
  working_day: string;
  first_in: string | null;
  last_out: string | null;
  tap_count: number;
  flags: string;
  revision: number;
  state: OutboxState | null;
  attempts: number | null;
  last_error: string | null;
  receipt: string | null;
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
    revision: row.revision,
    deadline: ccusDeadline(row.working_day),
    ccus:
      row.state === null
        ? null
        : { state: row.state, attempts: row.attempts ?? 0, lastError: row.last_error, receipt: row.receipt },
  };
}

/** Fields that must match for a re-sent tap to count as the same tap. */
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
  readonly #db: Database.Database;
  /** Prepared once per SQL text: preparing costs more than running most of these statements. */
  readonly #statements = new Map<string, Database.Statement>();
  readonly #now: () => Date;

  private constructor(db: Database.Database, now: () => Date) {
    this.#db = db;
    this.#now = now;
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

  static open(path: string, now: () => Date = () => new Date()): ServerStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Checkpoint every ~40 MB of WAL instead of 4 MB: a drain of a big backlog otherwise spends its time checkpointing.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(`server database schema ${version} is newer than this server knows (${MIGRATIONS.length})`);
    }
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[i] as string);
        db.pragma(`user_version = ${i + 1}`);
      })();
    }
    return new ServerStore(db, now);
  }

  close(): void {
    this.#db.close();
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  // ---- tenants, sites, terminals, workers -------------------------------------------

  createTenant(tenant: { tenantId: string; companyId: string; name: string }): void {
    this.#sql('INSERT INTO tenants (tenant_id, company_id, name, created_at) VALUES (?, ?, ?, ?)').run(
      tenant.tenantId,
      tenant.companyId,
      tenant.name,
      this.#iso(),
    );
  }

  /** Returns the token; only its hash is kept. */
  createApiToken(tenantId: string, role: Role, label: string, token = generateSecret('ccg')): string {
    this.#sql('INSERT INTO api_tokens (token_hash, tenant_id, role, label, created_at) VALUES (?, ?, ?, ?, ?)').run(
      hashSecret(token),
      tenantId,
      role,
      label,
      this.#iso(),
    );
    return token;
  }

  tokenOwner(token: string): { tenantId: string; role: Role } | null {
    const row = this.#sql('SELECT tenant_id, role FROM api_tokens WHERE token_hash = ?').get(hashSecret(token)) as
      | { tenant_id: string; role: Role }
      | undefined;
    return row === undefined ? null : { tenantId: row.tenant_id, role: row.role };
  }

  createSite(site: { siteId: SiteId; tenantId: string; name: string; rule: WorkingDayRule }): void {
    this.#sql('INSERT INTO sites (site_id, tenant_id, name, time_zone, day_boundary) VALUES (?, ?, ?, ?, ?)').run(
      site.siteId,
      site.tenantId,
      site.name,
      site.rule.timeZone,
      site.rule.dayBoundary,
    );
  }

  /** Registers a terminal and returns its password; only the hash is kept. */
  createTerminal(terminal: { terminalId: TerminalId; tenantId: string; siteId: SiteId; secret?: string }): string {
    const secret = terminal.secret ?? generateSecret('cgt');
    this.#sql(
      'INSERT INTO terminals (terminal_id, tenant_id, site_id, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(terminal.terminalId, terminal.tenantId, terminal.siteId, hashSecret(secret), this.#iso());
    return secret;
  }

  terminalSecretMatches(terminalId: string, secret: string): boolean {
    const row = this.#sql('SELECT secret_hash FROM terminals WHERE terminal_id = ?').get(terminalId) as
      | { secret_hash: string }
      | undefined;
    return row !== undefined && secretMatches(secret, row.secret_hash);
  }

  terminal(terminalId: TerminalId): TerminalAssignment | null {
    const row = this.#sql(
      `SELECT t.terminal_id, t.tenant_id, t.site_id, s.time_zone, s.day_boundary
         FROM terminals t LEFT JOIN sites s ON s.site_id = t.site_id WHERE t.terminal_id = ?`,
    ).get(terminalId) as
      | { tenant_id: string | null; site_id: string | null; time_zone: string | null; day_boundary: string | null }
      | undefined;
    if (row === undefined) return null;
    return {
      terminalId,
      tenantId: row.tenant_id,
      siteId: row.site_id as SiteId | null,
      rule:
        row.time_zone === null || row.day_boundary === null
          ? null
          : { timeZone: row.time_zone, dayBoundary: row.day_boundary },
    };
  }

  terminalsAtSite(siteId: string): TerminalId[] {
    return (
      this.#sql('SELECT terminal_id FROM terminals WHERE site_id = ? ORDER BY terminal_id').all(siteId) as {
        terminal_id: TerminalId;
      }[]
    ).map((row) => row.terminal_id);
  }

  allTerminals(): TerminalId[] {
    return (
      this.#sql('SELECT terminal_id FROM terminals ORDER BY terminal_id').all() as { terminal_id: TerminalId }[]
    ).map((row) => row.terminal_id);
  }

  setTerminalStatus(terminalId: TerminalId, status: unknown): void {
    this.#sql('UPDATE terminals SET status = ?, status_at = ? WHERE terminal_id = ?').run(
      JSON.stringify(status),
      this.#iso(),
      terminalId,
    );
  }

  addWorker(worker: { workerId: WorkerId; tenantId: string; name: string }): void {
    this.#sql('INSERT INTO workers (worker_id, tenant_id, name) VALUES (?, ?, ?)').run(
      worker.workerId,
      worker.tenantId,
      worker.name,
    );
  }

  /** Binds a card to a worker and bumps the roster of every site the worker is on. */
  addCard(card: CardRef, workerId: WorkerId): string[] {
    return this.#db.transaction(() => {
      this.#sql('INSERT INTO cards (tech, card_id, worker_id) VALUES (?, ?, ?)').run(card.tech, card.id, workerId);
      const sites = this.#sql('SELECT site_id FROM site_roster WHERE worker_id = ?').all(workerId) as {
        site_id: string;
      }[];
      for (const { site_id } of sites) this.#bumpRoster(site_id);
      return sites.map((s) => s.site_id);
    })();
  }

  addToRoster(siteId: SiteId, workerId: WorkerId): void {
    this.#db.transaction(() => {
      this.#sql('INSERT INTO site_roster (site_id, worker_id) VALUES (?, ?)').run(siteId, workerId);
      this.#bumpRoster(siteId);
    })();
  }

  #bumpRoster(siteId: string): void {
    this.#sql('UPDATE sites SET roster_version = roster_version + 1 WHERE site_id = ?').run(siteId);
  }

  /** What a terminal at the site needs: card identifiers and worker IDs, no names. */
  rosterFor(siteId: SiteId): Roster {
    const site = this.#sql('SELECT roster_version FROM sites WHERE site_id = ?').get(siteId) as
      | { roster_version: number }
      | undefined;
    if (site === undefined) throw new Error(`roster: no site ${siteId}`);
    const entries = this.#sql(
      `SELECT c.tech, c.card_id, c.worker_id FROM site_roster r JOIN cards c ON c.worker_id = r.worker_id
         WHERE r.site_id = ? ORDER BY c.tech, c.card_id`,
    ).all(siteId) as { tech: 'felica' | 'mifare'; card_id: string; worker_id: WorkerId }[];
    return {
      v: 1,
      siteId,
      version: Math.max(1, site.roster_version),
      issuedAt: this.#iso(),
      entries: entries.map((e) => ({ card: { tech: e.tech, id: e.card_id } as CardRef, workerId: e.worker_id })),
    };
  }

  // ---- ingest ---------------------------------------------------------------------

  /**
   * Stores a batch idempotently by (terminal, seq) and rebuilds the records it touches,
   * all in one transaction: either the whole batch is in and its ack may go, or nothing is.
   */
  storeBatch(terminal: TerminalAssignment & { siteId: SiteId; rule: WorkingDayRule }, batch: TapBatch): StoredBatch {
    const db = this.#db;
    const receivedAt = this.#iso();
    const existing = this.#sql('SELECT * FROM taps WHERE terminal_id = ? AND seq = ?');
    const resolve = this.#sql('SELECT worker_id FROM cards WHERE tech = ? AND card_id = ?');
    const insert = this.#sql(
      `INSERT INTO taps (terminal_id, seq, site_id, tech, card_id, terminal_worker_id, worker_id, direction, at,
         working_day, boot_id, mono, clock_synced, flags, received_at)
       VALUES (@terminal_id, @seq, @site_id, @tech, @card_id, @terminal_worker_id, @worker_id, @direction, @at,
         @working_day, @boot_id, @mono, @clock_synced, @flags, @received_at)
       ON CONFLICT (terminal_id, seq) DO NOTHING`,
    );
    const unsynced = this.#sql('SELECT * FROM taps WHERE terminal_id = ? AND boot_id = ? AND clock_synced = 0');
    return db.transaction((): StoredBatch => {
      const rejected: StoredBatch['rejected'] = [];
      const touched = new Map<string, RecordKey>();
      const touch = (workerId: string | null, day: string): void => {
        if (workerId === null) return;
        const key = { siteId: terminal.siteId, workerId: workerId as WorkerId, workingDay: day };
        touched.set(`${key.siteId}/${key.workerId}/${key.workingDay}`, key);
      };
      let inserted = 0;
      for (const tap of batch.taps) {
        const serverWorker = (resolve.get(tap.card.tech, tap.card.id) as { worker_id: string } | undefined)?.worker_id;
        const workerId = serverWorker ?? tap.workerId;
        const day = workingDay(new Date(tap.at), terminal.rule);
        const result = insert.run({
          terminal_id: terminal.terminalId,
          seq: tap.seq,
          site_id: terminal.siteId,
          tech: tap.card.tech,
          card_id: tap.card.id,
          terminal_worker_id: tap.workerId,
          worker_id: workerId,
          direction: tap.direction,
          at: tap.at,
          working_day: day,
          boot_id: tap.bootId,
          mono: tap.mono,
          clock_synced: tap.clockSynced ? 1 : 0,
          flags: JSON.stringify(tap.flags),
          received_at: receivedAt,
        });
        // Seen before: a replay when it is the same tap, a conflict when it is not.
        if (result.changes === 0) {
          const before = existing.get(terminal.terminalId, tap.seq) as Record<string, unknown>;
          const relation = compareTap(before, tap);
          if (relation === 'correction') {
            this.#correctTap(terminal, before, Date.parse(tap.at) - tap.mono, touch);
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
        touch(workerId, day);
      }
      // A synchronised tap tells how this boot's monotonic time maps to wall time, which
      // corrects the boot's earlier taps that went out before the clock could be trusted.
      const offsets = new Map<string, number>();
      for (const tap of batch.taps) if (tap.clockSynced) offsets.set(tap.bootId, Date.parse(tap.at) - tap.mono);
      for (const [bootId, offsetMs] of offsets) {
        for (const row of unsynced.all(terminal.terminalId, bootId) as Record<string, unknown>[]) {
          this.#correctTap(terminal, row, offsetMs, touch);
        }
      }
      // Records are rebuilt after the ack (rebuildQueuedRecords), so a big backlog drains at the
      // speed of storing taps; the queue is written here, in the same transaction as the taps.
      const queue = this.#sql(
        'INSERT INTO record_queue (site_id, worker_id, working_day) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      );
      for (const key of touched.values()) queue.run(key.siteId, key.workerId, key.workingDay);
      const first = batch.taps[0] as Tap;
      const last = batch.taps[batch.taps.length - 1] as Tap;
      return { accepted: { from: first.seq, to: last.seq }, rejected, inserted, records: [...touched.values()] };
    })();
  }

  /**
   * Rebuilds up to `limit` queued records in one transaction and returns their keys. The
   * ingest calls it until the queue is empty; it is also how records catch up after a restart.
   */
  rebuildQueuedRecords(limit = 200): RecordKey[] {
    return this.#db.transaction((): RecordKey[] => {
      const keys = (
        this.#sql('SELECT site_id, worker_id, working_day FROM record_queue LIMIT ?').all(limit) as {
          site_id: string;
          worker_id: string;
          working_day: string;
        }[]
      ).map((row) => ({
        siteId: row.site_id as SiteId,
        workerId: row.worker_id as WorkerId,
        workingDay: row.working_day,
      }));
      const done = this.#sql('DELETE FROM record_queue WHERE site_id = ? AND worker_id = ? AND working_day = ?');
      for (const key of keys) {
        this.#rebuildRecord(key);
        done.run(key.siteId, key.workerId, key.workingDay);
      }
      return keys;
    })();
  }

  /** How many records wait to be rebuilt. */
  queuedRecords(): number {
    return (this.#sql('SELECT count(*) AS n FROM record_queue').get() as { n: number }).n;
  }

  /** Rewrites one stored tap's wall time from its monotonic time; both the old and the new day's records change. */
  #correctTap(
    terminal: { rule: WorkingDayRule },
    row: Record<string, unknown>,
    offsetMs: number,
    touch: (workerId: string | null, day: string) => void,
  ): void {
    const at = new Date(Number(row.mono) + offsetMs);
    const day = workingDay(at, terminal.rule);
    const flags = JSON.parse(String(row.flags)) as TapFlag[];
    if (!flags.includes('clock_corrected')) flags.push('clock_corrected');
    this.#sql(
      `UPDATE taps SET raw_at = at, at = ?, working_day = ?, clock_synced = 1, flags = ?
         WHERE terminal_id = ? AND seq = ?`,
    ).run(at.toISOString(), day, JSON.stringify(flags), row.terminal_id, row.seq);
    const workerId = (row.worker_id as string | null) ?? null;
    touch(workerId, String(row.working_day));
    touch(workerId, day);
  }

  #rebuildRecord(key: RecordKey): void {
    const taps = this.#sql(
      `SELECT direction, at, clock_synced FROM taps WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
    ).all(key.siteId, key.workerId, key.workingDay) as { direction: 'in' | 'out'; at: string; clock_synced: number }[];
    if (taps.length === 0) {
      // Its taps moved to another day (a clock correction). Not yet at CCUS: gone with them.
      // Already at CCUS: kept as it is, for a person to correct there.
      this.#sql(
        `DELETE FROM ccus_outbox WHERE site_id = ? AND worker_id = ? AND working_day = ? AND state NOT IN ('accepted', 'sending')`,
      ).run(key.siteId, key.workerId, key.workingDay);
      this.#sql(
        `DELETE FROM records WHERE site_id = ? AND worker_id = ? AND working_day = ? AND NOT EXISTS (
           SELECT 1 FROM ccus_outbox o WHERE o.site_id = records.site_id AND o.worker_id = records.worker_id
             AND o.working_day = records.working_day)`,
      ).run(key.siteId, key.workerId, key.workingDay);
      return;
    }
    const onRoster =
      this.#sql('SELECT 1 FROM site_roster WHERE site_id = ? AND worker_id = ?').get(key.siteId, key.workerId) !==
      undefined;
    const detail = buildRecord(
      taps.map((t) => ({ direction: t.direction, at: t.at, clockSynced: t.clock_synced === 1 })),
      onRoster,
    );
    const now = this.#iso();
    this.#sql(
      `INSERT INTO records (site_id, worker_id, working_day, first_in, last_out, tap_count, flags, revision, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
         first_in = excluded.first_in, last_out = excluded.last_out, tap_count = excluded.tap_count,
         flags = excluded.flags, revision = records.revision + 1, updated_at = excluded.updated_at`,
    ).run(
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
    // unless it waits for a person.
    this.#sql(
      `INSERT INTO ccus_outbox (site_id, worker_id, working_day, idempotency_key, state, next_attempt_at)
       VALUES (?, ?, ?, ?, 'pending', ?)
       ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
         state = CASE WHEN ccus_outbox.state IN ('accepted', 'retrying') THEN 'pending' ELSE ccus_outbox.state END,
         next_attempt_at = excluded.next_attempt_at`,
    ).run(key.siteId, key.workerId, key.workingDay, `${key.siteId}:${key.workerId}:${key.workingDay}`, now);
  }

  tapCount(terminalId: TerminalId): number {
    return (this.#sql('SELECT count(*) AS n FROM taps WHERE terminal_id = ?').get(terminalId) as { n: number }).n;
  }

  quarantine(entry: QuarantineEntry): number {
    const result = this.#sql(
      'INSERT INTO quarantine (received_at, topic, client_id, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(this.#iso(), entry.topic, entry.clientId, entry.code, entry.reason, entry.payload);
    return Number(result.lastInsertRowid);
  }

  quarantined(): (QuarantineEntry & { id: number; receivedAt: string })[] {
    const rows = this.#sql('SELECT * FROM quarantine ORDER BY id').all() as {
      id: number;
      received_at: string;
      topic: string;
      client_id: string | null;
      code: string;
      reason: string;
      payload: Buffer;
    }[];
    return rows.map((r) => ({
      id: r.id,
      receivedAt: r.received_at,
      topic: r.topic,
      clientId: r.client_id,
      code: r.code,
      reason: r.reason,
      payload: r.payload,
    }));
  }

  // ---- CCUS outbox ----------------------------------------------------------------

  /** Claims records due for sending and marks them `sending`. */
  claimDue(limit: number): OutboxItem[] {
    const now = this.#iso();
    return this.#db.transaction(() => {
      const rows = this.#sql(
        `SELECT o.site_id, o.worker_id, o.working_day, o.idempotency_key, o.attempts, r.revision, r.first_in, r.last_out,
             t.company_id
           FROM ccus_outbox o
           JOIN records r USING (site_id, worker_id, working_day)
           JOIN sites s ON s.site_id = o.site_id
           JOIN tenants t ON t.tenant_id = s.tenant_id
           WHERE o.state IN ('pending', 'retrying') AND o.next_attempt_at <= ?
           ORDER BY o.next_attempt_at LIMIT ?`,
      ).all(now, limit) as {
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
      const mark = this.#sql(
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
    this.#sql(
      `UPDATE ccus_outbox SET
           state = CASE WHEN (SELECT revision FROM records r WHERE r.site_id = ccus_outbox.site_id
                      AND r.worker_id = ccus_outbox.worker_id AND r.working_day = ccus_outbox.working_day) > sent_revision
                   THEN 'pending' ELSE 'accepted' END,
           receipt = ?, accepted_at = ?, last_error = NULL
         WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
    ).run(receipt, this.#iso(), item.siteId, item.workerId, item.workingDay);
  }

  markRefused(item: RecordKey, reason: string): void {
    this.#sql(
      `UPDATE ccus_outbox SET state = 'refused', last_error = ? WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
    ).run(reason, item.siteId, item.workerId, item.workingDay);
  }

  markRetry(item: RecordKey, reason: string, nextAttemptAt: Date): void {
    this.#sql(
      `UPDATE ccus_outbox SET state = 'retrying', last_error = ?, next_attempt_at = ?
         WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
    ).run(reason, nextAttemptAt.toISOString(), item.siteId, item.workerId, item.workingDay);
  }

  /** Puts records left `sending` by a crash back in the queue. */
  requeueSending(): number {
    return this.#sql(`UPDATE ccus_outbox SET state = 'pending' WHERE state = 'sending'`).run().changes;
  }

  // ---- queries for the API --------------------------------------------------------

  records(filter: { tenantId: string; siteId?: string; month?: string; limit: number; offset: number }): WorkRecord[] {
    const rows = this.#sql(
      `SELECT r.*, o.state, o.attempts, o.last_error, o.receipt
         FROM records r JOIN sites s ON s.site_id = r.site_id
         LEFT JOIN ccus_outbox o USING (site_id, worker_id, working_day)
         WHERE s.tenant_id = @tenantId AND (@siteId IS NULL OR r.site_id = @siteId)
           AND (@month IS NULL OR substr(r.working_day, 1, 7) = @month)
         ORDER BY r.working_day DESC, r.site_id, r.worker_id LIMIT @limit OFFSET @offset`,
    ).all({ siteId: null, month: null, ...filter }) as RecordRow[];
    return rows.map(recordFromRow);
  }

  record(key: RecordKey): WorkRecord | null {
    const row = this.#sql(
      `SELECT r.*, o.state, o.attempts, o.last_error, o.receipt FROM records r
         LEFT JOIN ccus_outbox o USING (site_id, worker_id, working_day)
         WHERE r.site_id = ? AND r.worker_id = ? AND r.working_day = ?`,
    ).get(key.siteId, key.workerId, key.workingDay) as RecordRow | undefined;
    return row === undefined ? null : recordFromRow(row);
  }

  taps(filter: { tenantId: string; siteId?: string; limit: number; offset: number }): Record<string, unknown>[] {
    const rows = this.#sql(
      `SELECT t.terminal_id, t.seq, t.site_id, t.tech, t.card_id, t.worker_id, t.direction, t.at, t.working_day,
           t.clock_synced, t.flags, t.received_at
         FROM taps t JOIN sites s ON s.site_id = t.site_id
         WHERE s.tenant_id = @tenantId AND (@siteId IS NULL OR t.site_id = @siteId)
         ORDER BY t.received_at DESC, t.terminal_id, t.seq DESC LIMIT @limit OFFSET @offset`,
    ).all({ siteId: null, ...filter }) as Record<string, unknown>[];
    return rows.map((row) => ({
      terminalId: row.terminal_id,
      seq: row.seq,
      siteId: row.site_id,
      card: { tech: row.tech, id: row.card_id },
      workerId: row.worker_id,
      direction: row.direction,
      at: row.at,
      workingDay: row.working_day,
      clockSynced: row.clock_synced === 1,
      flags: JSON.parse(String(row.flags)),
      receivedAt: row.received_at,
    }));
  }

  terminals(tenantId: string): Record<string, unknown>[] {
    const rows = this.#sql(
      'SELECT terminal_id, site_id, status, status_at, created_at FROM terminals WHERE tenant_id = ? ORDER BY terminal_id',
    ).all(tenantId) as {
      terminal_id: string;
      site_id: string | null;
      status: string | null;
      status_at: string | null;
      created_at: string;
    }[];
    return rows.map((row) => ({
      terminalId: row.terminal_id,
      siteId: row.site_id,
      status: row.status === null ? null : JSON.parse(row.status),
      statusAt: row.status_at,
      createdAt: row.created_at,
    }));
  }
}
