import type { Direction, DirectionMode } from '@ccus-gate/protocol';

export interface DirectionInput {
  /** The reader that saw the card, for two-reader gates. */
  reader: string;
  /** Whether the subject is on site now (an entry whose shift is still open), for toggle. */
  onSite: boolean;
}

/**
 * in / out: fixed. toggle: an exit while the subject is on site, else an entry (protocol's
 * shift rule decides "on site", across the day boundary within the site's maximum shift).
 * two-reader: the reader decides, through `readerDirections` (reader name → direction).
 */
export function decideDirection(
  mode: DirectionMode,
  input: DirectionInput,
  readerDirections: Readonly<Record<string, Direction>> = {},
): Direction {
  switch (mode) {
    case 'in':
    case 'out':
      return mode;
    case 'toggle':
      return input.onSite ? 'out' : 'in';
    case 'two-reader': {
      const direction = readerDirections[input.reader];
      if (direction === undefined) {
        throw new Error(
          `two-reader mode: reader ${JSON.stringify(input.reader)} has no direction; configured: ${JSON.stringify(readerDirections)}`,
        );
      }
      return direction;
    }
  }
}
