import {
  type Presence,
  type SiteId,
  type Tap,
  type TapBatch,
  type TapRejectReason,
  type TerminalId,
  type WorkerId,
  type WorkingDayRule,
  workingDayCache,
} from '@ccus-gate/protocol';
import { isPlausibleTime } from '../records/plausible-time.js';
import { presenceFor } from '../records/presence.js';
import { queueRecords } from '../records/record-queue.js';
import { type RedatedTapRow, redateTap, untrustedTaps } from '../records/redate-taps.js';
import type { TerminalAssignment } from './directory-store.js';
import type { RecordKey } from './record-queries.js';
import type { SqliteDb } from './sqlite-db.js';

export interface StoredBatch {
  accepted: { from: number; to: number };
  rejected: { seq: number; reason: TapRejectReason; message: string }[];
  /** How many taps were new (not seen before). */
  inserted: number;
  /** Records created or changed by this batch. */
  records: RecordKey[];
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

/**
 * The taps, as ingest stores them: one transaction per batch (the records it touches queued
 * in the same one), how many a terminal has sent, and who is on site after them.
 */
export class TapStore {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  /**
   * Stores a batch idempotently by (terminal, seq) and queues the records it touches, all in
   * one transaction: either the whole batch is in and its ack may go, or nothing is.
   */
  storeBatch(terminal: TerminalAssignment & { siteId: SiteId; rule: WorkingDayRule }, batch: TapBatch): StoredBatch {
    const receivedAt = this.#db.iso();
    const nowMs = Date.parse(receivedAt);
    const existing = this.#db.sql('SELECT * FROM taps WHERE terminal_id = ? AND seq = ?');
    // A card resolves through the books of the tenants that see the tap's site: the prime's
    // first, then its subcontractors'. Another tenant's binding never reaches this site. Who
    // sees a site is looked up once per site a batch touches, the bindings once per card.
    const bindings = this.#db.sql('SELECT tenant_id, worker_id FROM cards WHERE tech = ? AND card_id = ?');
    const booked = this.#db.sql('SELECT tenant_id, worker_id FROM workers WHERE worker_id = ?');
    const readers = new Map<string, string[]>();
    const tenantsSeeing = (siteId: string): string[] => {
      let tenants = readers.get(siteId);
      if (tenants === undefined) {
        tenants = this.#db
          .sql(
            `SELECT tenant_id FROM sites WHERE site_id = @siteId
             UNION ALL
             SELECT * FROM (SELECT t.tenant_id FROM site_companies sc JOIN tenants t ON t.company_id = sc.company_id
               WHERE sc.site_id = @siteId ORDER BY t.tenant_id)`,
          )
          .pluck()
          .all({ siteId }) as string[];
        readers.set(siteId, tenants);
      }
      return tenants;
    };
    // A batch holds each worker's taps several times (in, out, day after day): one look-up per card.
    const boundByCard = new Map<string, { tenant_id: string; worker_id: string }[]>();
    const resolveAt = (siteId: string, tap: Tap): string | undefined => {
      const key = `${tap.card.tech}:${tap.card.id}`;
      let bound = boundByCard.get(key);
      if (bound === undefined) {
        // A QR code names its worker: the books of the tenants that see the site say whether they know them.
        bound = (tap.card.tech === 'qr' ? booked.all(tap.card.id) : bindings.all(tap.card.tech, tap.card.id)) as {
          tenant_id: string;
          worker_id: string;
        }[];
        boundByCard.set(key, bound);
      }
      if (bound.length === 0) return undefined;
      for (const tenantId of tenantsSeeing(siteId)) {
        const found = bound.find((binding) => binding.tenant_id === tenantId);
        if (found !== undefined) return found.worker_id;
      }
      return undefined;
    };
    const insert = this.#db.sql(
      `INSERT INTO taps (terminal_id, seq, site_id, tech, card_id, terminal_worker_id, worker_id, direction, at, at_ms,
         working_day, record_day, effective_direction, boot_id, mono, clock_synced, flags, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (terminal_id, seq) DO NOTHING`,
    );
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
    return this.#db.transaction((): StoredBatch => {
      const rejected: StoredBatch['rejected'] = [];
      const touched = new Map<string, RecordKey & { fromMs?: number }>();
      // `atMs`: the tap that changed, so pairing starts there; none for a tap that moved (a whole day).
      const touch = (siteId: string, workerId: string | null, day: string, atMs?: number): void => {
        if (workerId === null) return;
        const id = `${siteId}/${workerId}/${day}`;
        const seen = touched.get(id);
        if (seen === undefined) {
          touched.set(id, {
            siteId,
            workerId: workerId as WorkerId,
            workingDay: day,
            ...(atMs === undefined ? {} : { fromMs: atMs }),
          });
        } else if (seen.fromMs !== undefined) {
          // A change with no time (a tap moved) asks for the whole day; otherwise the earliest counts.
          if (atMs === undefined) delete seen.fromMs;
          else seen.fromMs = Math.min(seen.fromMs, atMs);
        }
      };
      let inserted = 0;
      /** Synchronised taps with plausible times: each tells how its boot's monotonic time maps to wall time. */
      const trusted: [Tap, number][] = [];
      for (const tap of batch.taps) {
        const place = placeOf(tap.at);
        const workerId = resolveAt(place.siteId, tap) ?? tap.workerId;
        const day = place.days.of(tap.at);
        const atMs = Date.parse(tap.at);
        // Stored and acked all the same, but never trusted: not synchronised, and flagged for a person.
        const plausible = isPlausibleTime(atMs, nowMs);
        if (plausible && tap.clockSynced) trusted.push([tap, atMs]);
        const flags: string[] = plausible ? tap.flags : [...tap.flags, 'implausible_time'];
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
          atMs,
          day,
          day,
          tap.direction,
          tap.bootId,
          tap.mono,
          tap.clockSynced && plausible ? 1 : 0,
          flags.length === 0 ? '[]' : JSON.stringify(flags),
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
        touch(place.siteId, workerId, day, atMs);
      }
      // A synchronised tap tells how this boot's monotonic time maps to wall time, which
      // corrects the boot's earlier taps that went out before the clock could be trusted.
      const offsets = new Map<string, number>();
      // An implausible time says nothing about the boot's clock.
      for (const [tap, atMs] of trusted) offsets.set(tap.bootId, atMs - tap.mono);
      for (const [bootId, offsetMs] of offsets) {
        for (const row of untrustedTaps(this.#db, terminal.terminalId, bootId)) {
          this.#correctTap(row as unknown as Record<string, unknown>, offsetMs, touch);
        }
      }
      // Records are rebuilt after the ack (records/record-rebuild.ts), so a big backlog drains at the
      // speed of storing taps; the queue is written here, in the same transaction as the taps.
      queueRecords(this.#db, touched.values());
      const first = batch.taps[0] as Tap;
      const last = batch.taps[batch.taps.length - 1] as Tap;
      return { accepted: { from: first.seq, to: last.seq }, rejected, inserted, records: [...touched.values()] };
    });
  }

  /** Re-dates one stored tap (records/redate-taps.ts); both the old and the new day's records change. */
  #correctTap(
    row: Record<string, unknown>,
    offsetMs: number,
    touch: (siteId: string, workerId: string | null, day: string) => void,
  ): void {
    const moved = redateTap(this.#db, row as unknown as RedatedTapRow, offsetMs);
    for (const day of moved.days) touch(moved.siteId, moved.workerId, day);
  }

  /** Who is on site now (records/presence.ts), as a versioned snapshot for the site's terminals. */
  presence(siteId: SiteId): Presence {
    return this.#db.transaction(() => ({
      ...presenceFor(this.#db, siteId, this.#db.now()),
      version: this.#db.nextVersion(),
    }));
  }

  /** How many taps the terminal has sent (each once). */
  count(terminalId: TerminalId): number {
    return (this.#db.sql('SELECT count(*) AS n FROM taps WHERE terminal_id = ?').get(terminalId) as { n: number }).n;
  }
}
