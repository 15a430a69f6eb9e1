import type { Direction } from '@ccus-gate/protocol';

export const RECORD_FLAGS = ['no_exit', 'not_on_roster', 'clock_unsynced', 'manual'] as const;
export type RecordFlag = (typeof RECORD_FLAGS)[number];

export interface RecordTap {
  direction: Direction;
  at: string;
  clockSynced: boolean;
}

export interface WorkRecordDetail {
  firstIn: string | null;
  lastOut: string | null;
  tapCount: number;
  flags: RecordFlag[];
}

/**
 * One 就業履歴 from the taps of one worker at one site on one working day: the first
 * entry and the last exit, flagged where a person should look.
 */
export function buildRecord(taps: readonly RecordTap[], onRoster: boolean): WorkRecordDetail {
  const byTime = [...taps].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const firstIn = byTime.find((tap) => tap.direction === 'in')?.at ?? null;
  const lastOut = byTime.findLast((tap) => tap.direction === 'out')?.at ?? null;
  const flags: RecordFlag[] = [];
  if (lastOut === null || (firstIn !== null && Date.parse(lastOut) < Date.parse(firstIn))) flags.push('no_exit');
  if (!onRoster) flags.push('not_on_roster');
  if (taps.some((tap) => !tap.clockSynced)) flags.push('clock_unsynced');
  return { firstIn, lastOut, tapCount: taps.length, flags };
}
