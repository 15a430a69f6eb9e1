import { type Direction, type ShiftState, shiftStep } from '@ccus-gate/protocol';

/** One of a worker's taps at a site, as the pairing needs it. */
export interface TimelineTap {
  terminalId: string;
  seq: number;
  cardKey: string;
  atMs: number;
  /** The tap's own working day. */
  day: string;
  direction: Direction;
  /** The terminal chose the direction (toggle mode): the site's whole timeline decides it here. */
  toggled: boolean;
  /** Replaces the card's previous tap at the same terminal (the other reader of a two-reader gate). */
  readerCorrection: boolean;
  /** A person voided it. */
  voided: boolean;
}

export interface PairedTap {
  tap: TimelineTap;
  /** What the tap counts as in its record; null when it does not count (voided or replaced). */
  direction: Direction | null;
  /** The working day whose record holds it. */
  recordDay: string;
  /** When its shift began; null when it does not count. */
  shiftStartMs: number | null;
}

/**
 * A correction replaces a tap at most this much earlier: the longest debounce window a terminal
 * may have (protocol's config allows 3600 s). Anything older is a tap of its own.
 */
export const CORRECTION_REACH_MS = 3_600_000;

/** In time order; taps at the same instant in terminal and sequence order, so every order of arrival pairs alike. */
export function timelineOrder(a: TimelineTap, b: TimelineTap): number {
  return a.atMs - b.atMs || (a.terminalId < b.terminalId ? -1 : a.terminalId > b.terminalId ? 1 : a.seq - b.seq);
}

/**
 * Pairs a worker's taps at one site, from every terminal and reader, into shifts (protocol's
 * shift rule), from `initial`: the state after the worker's last tap before these (null when
 * nothing before them can matter).
 */
export function pairShifts(
  taps: readonly TimelineTap[],
  maxShiftMs: number,
  initial: ShiftState | null = null,
): PairedTap[] {
  const ordered = [...taps].sort(timelineOrder);
  const replaced = new Set<TimelineTap>();
  const lastAtTerminal = new Map<string, TimelineTap>();
  for (const tap of ordered) {
    const key = `${tap.terminalId}\u0000${tap.cardKey}`;
    const previous = lastAtTerminal.get(key);
    if (
      tap.readerCorrection &&
      previous !== undefined &&
      !previous.voided &&
      tap.atMs - previous.atMs <= CORRECTION_REACH_MS
    ) {
      replaced.add(previous);
    }
    if (!tap.voided) lastAtTerminal.set(key, tap);
  }
  let state: ShiftState | null = initial;
  return ordered.map((tap): PairedTap => {
    if (tap.voided || replaced.has(tap)) return { tap, direction: null, recordDay: tap.day, shiftStartMs: null };
    const step = shiftStep(
      state,
      { atMs: tap.atMs, day: tap.day, direction: tap.toggled ? 'toggle' : tap.direction },
      maxShiftMs,
    );
    state = step.state;
    return { tap, direction: step.direction, recordDay: step.recordDay, shiftStartMs: step.state.shiftStartMs };
  });
}
