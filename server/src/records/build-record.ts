import type { Direction } from '@ccus-gate/protocol';

export const RECORD_FLAGS = ['no_exit', 'unknown_card', 'not_on_roster', 'clock_unsynced', 'manual'] as const;
export type RecordFlag = (typeof RECORD_FLAGS)[number];

export interface RecordTap {
  direction: Direction;
  at: string;
  clockSynced: boolean;
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
  tapCount: number;
  flags: RecordFlag[];
}

/**
 * One 就業履歴 from the taps of one worker at one site on one working day: the first
 * entry and the last exit, flagged where a person should look. A person's override wins
 * over the taps; then the record is manual, and its times are vouched for by that person.
 */
export function buildRecord(
  taps: readonly RecordTap[],
  onRoster: boolean,
  override: RecordOverride | null = null,
): WorkRecordDetail {
  const byTime = [...taps].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const firstIn = override?.firstIn ?? byTime.find((tap) => tap.direction === 'in')?.at ?? null;
  const lastOut = override?.lastOut ?? byTime.findLast((tap) => tap.direction === 'out')?.at ?? null;
  const flags: RecordFlag[] = [];
  if (lastOut === null || (firstIn !== null && Date.parse(lastOut) < Date.parse(firstIn))) flags.push('no_exit');
  if (taps.some((tap) => tap.unknownAtGate)) flags.push('unknown_card');
  if (!onRoster) flags.push('not_on_roster');
  if (override === null && taps.some((tap) => !tap.clockSynced)) flags.push('clock_unsynced');
  if (override !== null) flags.push('manual');
  return { firstIn, lastOut, tapCount: taps.length, flags };
}

/** Why a record must wait for a person before it goes to CCUS, or null when it may go. */
export function heldReason(detail: WorkRecordDetail): string | null {
  if (detail.flags.includes('clock_unsynced')) {
    return 'taken while the terminal clock was not synchronised: confirm or correct the times';
  }
  return null;
}
