import type { RecordKey } from '../records/record-queue.js';
import type { SqliteDb } from '../store/sqlite-db.js';
import type { CcusSubmission } from './gateway.js';

/** What CCUS is told of a record; a change to any of it is sent again. */
export interface SubmissionContent {
  firstIn: string | null;
  lastOut: string | null;
  trade: string | null;
  position: string | null;
}

export interface OutboxItem extends RecordKey, SubmissionContent {
  idempotencyKey: string;
  attempts: number;
  companyId: string;
}

/** What CCUS is sent for a claimed record. */
export function submissionOf(item: OutboxItem): CcusSubmission {
  return {
    idempotencyKey: item.idempotencyKey,
    companyId: item.companyId,
    siteId: item.siteId,
    workerId: item.workerId,
    workingDay: item.workingDay,
    entryAt: item.firstIn,
    exitAt: item.lastOut,
    trade: item.trade,
    position: item.position,
  };
}

export interface OutboxOptions {
  /** After a record has been sent, later changes wait this long at most before going together. */
  coalesceMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { coalesceMs: 10 * 60_000 };

const contentOf = (content: SubmissionContent): string =>
  JSON.stringify({
    firstIn: content.firstIn,
    lastOut: content.lastOut,
    trade: content.trade,
    position: content.position,
  });

/**
 * The CCUS outbox: which records go to CCUS, when, and what CCUS holds of each. A record
 * reaches CCUS within seconds of its first tap, and again within seconds of its exit; other
 * changes are coalesced, one submission per `coalesceMs` at most, and the last always goes. Claims, marks and
 * retries all happen here; the forwarder only sends.
 */
export class CcusOutbox {
  readonly #db: SqliteDb;
  readonly #coalesceSeconds: number;

  constructor(db: SqliteDb, options: OutboxOptions = DEFAULT_OUTBOX_OPTIONS) {
    this.#db = db;
    this.#coalesceSeconds = Math.max(0, Math.round(options.coalesceMs / 1000));
  }

  /**
   * The record as it now is: held for a person (`held` says why), or due to CCUS unless CCUS
   * already holds exactly this. A record CCUS refused stays refused until a person sends it
   * again; one being sent or waiting out a retry keeps its turn.
   */
  offer(key: RecordKey, content: SubmissionContent, held: string | null): void {
    this.#db
      .sql(
        `INSERT INTO ccus_outbox (site_id, worker_id, working_day, idempotency_key, state, next_attempt_at, held_reason, content)
         VALUES (@siteId, @workerId, @workingDay, @key, CASE WHEN @held IS NULL THEN 'pending' ELSE 'held' END, @now, @held, @content)
         ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
           content = @content,
           state = CASE
             WHEN ccus_outbox.state IN ('sending', 'refused') THEN ccus_outbox.state
             WHEN @held IS NOT NULL THEN 'held'
             WHEN ccus_outbox.state = 'retrying' THEN 'retrying'
             WHEN ccus_outbox.sent_content IS @content AND ccus_outbox.state IN ('accepted', 'held')
               AND ccus_outbox.accepted_at IS NOT NULL THEN 'accepted'
             ELSE 'pending' END,
           held_reason = CASE WHEN ccus_outbox.state IN ('sending', 'refused') THEN ccus_outbox.held_reason ELSE @held END,
           next_attempt_at = CASE
             WHEN ccus_outbox.state IN ('sending', 'refused', 'retrying') THEN ccus_outbox.next_attempt_at
             WHEN ccus_outbox.state = 'pending' AND ccus_outbox.content IS @content THEN ccus_outbox.next_attempt_at
             -- The exit completes the record: that one goes at once.
             WHEN json_extract(@content, '$.lastOut') IS NOT NULL
               AND json_extract(coalesce(ccus_outbox.sent_content, '{}'), '$.lastOut') IS NULL THEN @now
             ELSE ${this.#coalesced('@now')} END`,
      )
      .run({
        ...key,
        key: `${key.siteId}:${key.workerId}:${key.workingDay}`,
        held,
        content: contentOf(content),
        now: this.#db.iso(),
      });
  }

  /** A record with no taps left (they moved to another day): gone, unless CCUS has it or is getting it. */
  withdraw(key: RecordKey): boolean {
    this.#db
      .sql(
        `DELETE FROM ccus_outbox WHERE site_id = ? AND worker_id = ? AND working_day = ? AND state NOT IN ('accepted', 'sending')
           AND accepted_at IS NULL`,
      )
      .run(key.siteId, key.workerId, key.workingDay);
    return (
      this.#db
        .sql('SELECT 1 FROM ccus_outbox WHERE site_id = ? AND worker_id = ? AND working_day = ?')
        .get(key.siteId, key.workerId, key.workingDay) === undefined
    );
  }

  /** The earliest a changed record may go: now, or a coalescing window after it was last sent. */
  #coalesced(now: string): string {
    return `CASE WHEN ccus_outbox.last_sent_at IS NULL THEN ${now}
      ELSE max(${now}, strftime('%Y-%m-%dT%H:%M:%fZ', ccus_outbox.last_sent_at, '+${this.#coalesceSeconds} seconds')) END`;
  }

  /**
   * Claims records due for sending for `owner` until `leaseMs` from now and marks them
   * `sending`; a record another server claimed is due again once its claim has run out (that
   * server died or stalled), so each is sent by one server at a time.
   */
  claimDue(limit: number, owner: string, leaseMs: number): OutboxItem[] {
    const now = this.#db.iso();
    const until = new Date(Date.parse(now) + leaseMs).toISOString();
    return this.#db.transaction(() => {
      const rows = this.#db
        .sql(
          `SELECT o.site_id, o.worker_id, o.working_day, o.idempotency_key, o.attempts, o.content, t.company_id
           FROM ccus_outbox o
           JOIN sites s ON s.site_id = o.site_id
           JOIN tenants t ON t.tenant_id = s.tenant_id
           WHERE (o.state IN ('pending', 'retrying') AND o.next_attempt_at <= @now)
              OR (o.state = 'sending' AND (o.claim_until IS NULL OR o.claim_until <= @now))
           ORDER BY o.next_attempt_at LIMIT @limit`,
        )
        .all({ now, limit }) as {
        site_id: string;
        worker_id: string;
        working_day: string;
        idempotency_key: string;
        attempts: number;
        content: string;
        company_id: string;
      }[];
      const mark = this.#db.sql(
        `UPDATE ccus_outbox SET state = 'sending', attempts = attempts + 1, sent_content = content, last_sent_at = ?,
           claimed_by = ?, claim_until = ?
         WHERE site_id = ? AND worker_id = ? AND working_day = ?`,
      );
      for (const row of rows) mark.run(now, owner, until, row.site_id, row.worker_id, row.working_day);
      return rows.map((row) => ({
        siteId: row.site_id,
        workerId: row.worker_id,
        workingDay: row.working_day,
        idempotencyKey: row.idempotency_key,
        attempts: row.attempts + 1,
        companyId: row.company_id,
        ...(JSON.parse(row.content) as SubmissionContent),
      }));
    });
  }

  /** Accepted; but if the record changed while it was being sent, the change goes too (coalesced). */
  markAccepted(item: RecordKey, receipt: string, owner: string): void {
    this.#db
      .sql(
        `UPDATE ccus_outbox SET
           state = CASE WHEN content IS NOT sent_content THEN 'pending'
                        WHEN held_reason IS NOT NULL THEN 'held' ELSE 'accepted' END,
           next_attempt_at = ${this.#coalesced('@now')},
           receipt = @receipt, accepted_at = @now, last_error = NULL, claimed_by = NULL, claim_until = NULL
         WHERE site_id = @siteId AND worker_id = @workerId AND working_day = @workingDay AND state = 'sending'
           AND claimed_by IS @owner`,
      )
      .run({
        receipt,
        owner,
        now: this.#db.iso(),
        siteId: item.siteId,
        workerId: item.workerId,
        workingDay: item.workingDay,
      });
  }

  /**
   * Keeps the claim on a record about to be sent; false when it was lost (the claim ran out
   * and another server took the record), and then it must not be sent.
   */
  holdClaim(item: RecordKey, owner: string, leaseMs: number): boolean {
    const until = new Date(Date.parse(this.#db.iso()) + leaseMs).toISOString();
    return (
      this.#db
        .sql(
          `UPDATE ccus_outbox SET claim_until = ?
             WHERE site_id = ? AND worker_id = ? AND working_day = ? AND state = 'sending' AND claimed_by IS ?`,
        )
        .run(until, item.siteId, item.workerId, item.workingDay, owner).changes === 1
    );
  }

  markRefused(item: RecordKey, reason: string, owner: string): void {
    this.#db
      .sql(
        `UPDATE ccus_outbox SET state = 'refused', last_error = ?, claimed_by = NULL, claim_until = NULL
           WHERE site_id = ? AND worker_id = ? AND working_day = ? AND state = 'sending' AND claimed_by IS ?`,
      )
      .run(reason, item.siteId, item.workerId, item.workingDay, owner);
  }

  /** Due again at `nextAttemptAt`. `spent: false` gives back the attempt of a record claimed but never sent. */
  markRetry(item: RecordKey, reason: string, nextAttemptAt: Date, owner: string, spent = true): void {
    this.#db
      .sql(
        `UPDATE ccus_outbox SET state = CASE WHEN @spent THEN 'retrying' ELSE 'pending' END,
           attempts = attempts - CASE WHEN @spent THEN 0 ELSE 1 END, last_error = @reason, next_attempt_at = @at,
           claimed_by = NULL, claim_until = NULL
         WHERE site_id = @siteId AND worker_id = @workerId AND working_day = @workingDay AND state = 'sending'
           AND claimed_by IS @owner`,
      )
      .run({
        owner,
        spent: spent ? 1 : 0,
        reason,
        at: nextAttemptAt.toISOString(),
        siteId: item.siteId,
        workerId: item.workerId,
        workingDay: item.workingDay,
      });
  }

  /**
   * Puts back in the queue what this server (by its stable `owner` name) was sending when it
   * stopped, and any claim that ran out; another live server's claims are left to it.
   */
  requeueSending(owner: string): number {
    return this.#db
      .sql(
        `UPDATE ccus_outbox SET state = 'pending', claimed_by = NULL, claim_until = NULL
           WHERE state = 'sending' AND (claimed_by IS NULL OR claimed_by = ? OR claim_until <= ?)`,
      )
      .run(owner, this.#db.iso()).changes;
  }

  /** A person fixed what stopped a refused (or held) record: it goes again now. */
  release(key: RecordKey, states: readonly ('refused' | 'held')[]): void {
    this.#db
      .sql(
        `UPDATE ccus_outbox SET state = 'pending', next_attempt_at = ?, held_reason = NULL, attempts = 0
           WHERE site_id = ? AND worker_id = ? AND working_day = ? AND state IN (SELECT value FROM json_each(?))`,
      )
      .run(this.#db.iso(), key.siteId, key.workerId, key.workingDay, JSON.stringify(states));
  }
}
