import { type SiteId, type TapBatch, type WorkingDayRule, workingDayCache } from '@ccus-gate/protocol';
import { isPlausibleTime } from '../records/plausible-time.js';
import type { TerminalAssignment } from './directory-store.js';
import type { NewTap } from './tap-insert.js';

/** A terminal as its batch is stored: where its taps belong, now and under its earlier leases. */
export type BatchTerminal = Omit<TerminalAssignment, 'enrolmentWaiting'> & { siteId: SiteId; rule: WorkingDayRule };

export interface TapRows {
  /** The batch's taps as rows of `taps`, in its order. */
  values: NewTap[];
  /**
   * For each boot with a synchronised tap of plausible time in the batch, how its monotonic time
   * maps to wall time: what corrects the boot's taps whose time could not be trusted.
   */
  offsets: Map<string, number>;
}

/**
 * A batch's taps as the store writes them, received at `receivedAt`: each at the site of the
 * lease in force when it was taken, on that site's working day, flagged when its time cannot
 * be true, and trusted only when synchronised and plausible.
 */
export function tapRows(terminal: BatchTerminal, batch: TapBatch, receivedAt: string): TapRows {
  const nowMs = Date.parse(receivedAt);
  // A terminal moved to another tenant may still deliver taps from its last lease; they stay that tenant's.
  const current = { siteId: terminal.siteId, days: workingDayCache(terminal.rule) };
  const earlier = terminal.earlier.map((lease) => ({ ...lease, days: workingDayCache(lease.rule) }));
  const placeOf = (at: string): { siteId: SiteId; days: { of(at: string): string } } => {
    if (earlier.length === 0) return current;
    const ms = Date.parse(at);
    // Before its first lease (a clock far off): the first lease is the best guess there is.
    if (ms < (earlier[0] as { fromMs: number }).fromMs) return earlier[0] as (typeof earlier)[number];
    return earlier.find((lease) => ms >= lease.fromMs && ms < lease.untilMs) ?? current;
  };
  const values: NewTap[] = [];
  const offsets = new Map<string, number>();
  for (const tap of batch.taps) {
    const place = placeOf(tap.at);
    const day = place.days.of(tap.at);
    const atMs = Date.parse(tap.at);
    // Stored and acked all the same, but never trusted: not synchronised, and flagged for a person.
    const plausible = isPlausibleTime(atMs, nowMs);
    if (plausible && tap.clockSynced) offsets.set(tap.bootId, atMs - tap.mono);
    const flags: string[] = plausible ? tap.flags : [...tap.flags, 'implausible_time'];
    values.push({
      terminal_id: terminal.terminalId,
      seq: tap.seq,
      site_id: place.siteId,
      tech: tap.card.tech,
      card_id: tap.card.id,
      terminal_worker_id: tap.workerId,
      // The insert puts the worker the card stands for at the site in its place (tap-insert.ts).
      worker_id: tap.workerId,
      direction: tap.direction,
      at: tap.at,
      at_ms: atMs,
      working_day: day,
      record_day: day,
      effective_direction: tap.direction,
      boot_id: tap.bootId,
      mono: tap.mono,
      clock_synced: tap.clockSynced && plausible ? 1 : 0,
      flags: flags.length === 0 ? '[]' : JSON.stringify(flags),
      received_at: receivedAt,
    });
  }
  return { values, offsets };
}
