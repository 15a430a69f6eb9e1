import type { Direction } from './messages/tap-batch.js';

/**
 * Shifts across the day boundary: one rule for the terminal (which way a toggle tap goes) and
 * the server (which working day's record a tap belongs to), so the two agree.
 *
 * A record is one per worker, site and working day: the day its shift began. An exit closes
 * the shift still open, even after the day boundary, as long as the shift stays within the
 * site's maximum length. An entry on a later working day always starts a new shift.
 */

/** A site's maximum shift length when it sets none. */
export const DEFAULT_MAX_SHIFT_HOURS = 16;
/** Longer than a working day would let one open shift swallow the next day's. */
export const MAX_SHIFT_HOURS_LIMIT = 24;

/** Where a worker stands after a tap: what it was, the record it went to, when that shift began. */
export interface ShiftState {
  last: Direction;
  recordDay: string;
  shiftStartMs: number;
}

export interface ShiftTap {
  atMs: number;
  /** The tap's own working day (by its time and the site's boundary). */
  day: string;
  /** What the reader said, or `toggle` when the terminal chose it from the worker's last tap. */
  direction: Direction | 'toggle';
}

export interface ShiftStep {
  direction: Direction;
  /** The working day whose record the tap belongs to. */
  recordDay: string;
  state: ShiftState;
}

/** Whether the worker is on site (an entry not yet closed) at `tap`. */
export function shiftOpen(state: ShiftState | null, tap: Omit<ShiftTap, 'direction'>, maxShiftMs: number): boolean {
  return (
    state !== null &&
    state.last === 'in' &&
    (state.recordDay === tap.day || tap.atMs - state.shiftStartMs <= maxShiftMs)
  );
}

/**
 * One tap through the rule. `state` is the worker's state after their previous tap at the
 * site (null when there is none, or it is long past).
 */
export function shiftStep(state: ShiftState | null, tap: ShiftTap, maxShiftMs: number): ShiftStep {
  const open = shiftOpen(state, tap, maxShiftMs);
  const direction: Direction = tap.direction === 'toggle' ? (open ? 'out' : 'in') : tap.direction;
  const fresh = (): ShiftStep => ({
    direction,
    recordDay: tap.day,
    state: { last: direction, recordDay: tap.day, shiftStartMs: tap.atMs },
  });
  if (state === null) return fresh();
  const same = (): ShiftStep => ({
    direction,
    recordDay: state.recordDay,
    state: { last: direction, recordDay: state.recordDay, shiftStartMs: state.shiftStartMs },
  });
  if (direction === 'in') {
    // A second entry on the same working day (a double tap, a worker back from lunch) keeps the shift.
    return open && state.recordDay === tap.day ? same() : fresh();
  }
  if (open) return same();
  // Another exit soon after one: the same record's later exit (the last exit counts).
  if (state.last === 'out' && (state.recordDay === tap.day || tap.atMs - state.shiftStartMs <= maxShiftMs)) {
    return same();
  }
  return fresh();
}
