/**
 * Where a person should look at a work record. Each flag says whether the record waits for a
 * person (held: it does not go to CCUS until someone acts) or goes to CCUS and is shown on
 * "needs a person" all the same. server/README.md ("How taps become records") says the same
 * for contractors; keep the two in step.
 */
export const RECORD_FLAGS = [
  'no_exit',
  'no_entry',
  'back_on_site',
  'long_shift',
  'clock_corrected',
  'clock_unsynced',
  'clock_jumped',
  'implausible_time',
  'unknown_card',
  'not_on_roster',
  'no_trade',
  'manual',
  'withdrawn',
] as const;
export type RecordFlag = (typeof RECORD_FLAGS)[number];

/** Why each flag holds its record back from CCUS; flags not here let it go. */
const HOLDS: Partial<Record<RecordFlag, string>> = {
  no_entry: 'an exit with no entry: add the entry time, or void the tap if it was a mistake',
  long_shift: 'the shift is longer than the site allows: confirm or correct the times',
  clock_unsynced: 'taken while the terminal clock was not synchronised: confirm or correct the times',
  clock_jumped:
    "the terminal's clock jumped between these taps, so their order in time is in doubt: confirm or correct the times",
  implausible_time: "a tap's time is impossible (before 2020 or more than a day ahead): set its time or void it",
  no_trade: 'the worker has no trade (職種) on the site roster: set it there',
};

/**
 * Why a record must wait for a person before it goes to CCUS, or null when it may go. A stray
 * exit before a proper entry is flagged but does not hold: the day itself is sound.
 */
export function heldReason(record: { flags: readonly RecordFlag[]; firstIn: string | null }): string | null {
  for (const flag of record.flags) {
    if (flag === 'no_entry' && record.firstIn !== null) continue;
    const reason = HOLDS[flag];
    if (reason !== undefined) return reason;
  }
  return null;
}
