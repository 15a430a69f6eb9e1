import type { Direction } from '@ccus-gate/protocol';
import { RECORD_FLAGS, type RecordFlag } from './record-flags.js';

export interface RecordTap {
  /** What it counts as (from the shift pairing); null when voided or replaced, kept for the detail only. */
  direction: Direction | null;
  at: string;
  atMs: number;
  clockSynced: boolean;
  clockCorrected: boolean;
  /** Wall time less monotonic time, and whose clock that is (terminal and boot): constant unless the clock jumped. */
  clock: { key: string; offsetMs: number };
  implausible: boolean;
  /** The terminal did not know the card when it was tapped; the server resolved it later. */
  unknownAtGate: boolean;
}

/** Times a person set on the record (a manual entry or correction); null keeps what the taps say. */
export interface RecordOverride {
  firstIn: string | null;
  lastOut: string | null;
}

export interface WorkRecordDetail {
  firstIn: string | null;
  lastOut: string | null;
  /** The taps that count in it. */
  tapCount: number;
  flags: RecordFlag[];
}

export interface RecordContext {
  onRoster: boolean;
  /** The day's trade (職種), from the site roster or a person; null when nobody has said. */
  trade: string | null;
  maxShiftMs: number;
}

/**
 * One 就業履歴 from the taps its shift pairing gave it (one worker, one site, one working
 * day): the first entry and the last exit, flagged wherever a person should look. A person's
 * override wins over the taps; then the record is manual, and that person vouches for its times.
 */
export function buildRecord(
  taps: readonly RecordTap[],
  context: RecordContext,
  override: RecordOverride | null = null,
): WorkRecordDetail {
  const counted = taps.filter((tap) => tap.direction !== null).sort((a, b) => a.atMs - b.atMs);
  const firstInTap = counted.find((tap) => tap.direction === 'in');
  // An exit before the first entry is a stray one (flagged below), never the record's exit.
  const lastOutTap = counted.findLast(
    (tap) => tap.direction === 'out' && (firstInTap === undefined || tap.atMs >= firstInTap.atMs),
  );
  const firstIn = override?.firstIn ?? firstInTap?.at ?? null;
  const lastOut = override?.lastOut ?? lastOutTap?.at ?? null;
  const flags = new Set<RecordFlag>();
  // An exit before any entry: a stray tap on the out-reader, or an entry nobody tapped.
  const strayExit = counted.some(
    (tap) => tap.direction === 'out' && (firstInTap === undefined || tap.atMs < firstInTap.atMs),
  );
  if ((override?.firstIn == null && strayExit) || (firstIn === null && lastOut !== null)) flags.add('no_entry');
  if (firstIn !== null && override?.lastOut == null) {
    const exitAfter = lastOut !== null && Date.parse(lastOut) > Date.parse(firstIn);
    // Still on site: no exit at all, or back after an exit with no later one.
    if (!exitAfter) flags.add('no_exit');
    else if (counted.at(-1)?.direction === 'in') flags.add('back_on_site');
  }
  if (override === null && firstIn !== null && lastOut !== null) {
    if (Date.parse(lastOut) - Date.parse(firstIn) > context.maxShiftMs) flags.add('long_shift');
  }
  if (counted.some((tap) => tap.clockCorrected)) flags.add('clock_corrected');
  if (override === null && clockJumped(counted)) flags.add('clock_jumped');
  if (override === null && counted.some((tap) => !tap.clockSynced && !tap.implausible)) flags.add('clock_unsynced');
  if (counted.some((tap) => tap.implausible)) flags.add('implausible_time');
  if (counted.some((tap) => tap.unknownAtGate)) flags.add('unknown_card');
  if (!context.onRoster) flags.add('not_on_roster');
  if (context.trade === null) flags.add('no_trade');
  if (override !== null) flags.add('manual');
  return {
    firstIn,
    lastOut,
    tapCount: counted.length,
    flags: RECORD_FLAGS.filter((flag) => flags.has(flag)),
  };
}

/** A jump this large between two taps of one boot is a clock set, not drift. */
const JUMP_MS = 60_000;

/** Whether one terminal's clock jumped between any of these taps of the same boot. */
function clockJumped(taps: readonly RecordTap[]): boolean {
  const offsets = new Map<string, { min: number; max: number }>();
  for (const { clock } of taps) {
    const seen = offsets.get(clock.key);
    if (seen === undefined) {
      offsets.set(clock.key, { min: clock.offsetMs, max: clock.offsetMs });
      continue;
    }
    seen.min = Math.min(seen.min, clock.offsetMs);
    seen.max = Math.max(seen.max, clock.offsetMs);
    if (seen.max - seen.min > JUMP_MS) return true;
  }
  return false;
}
