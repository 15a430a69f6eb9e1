import type { Direction, DirectionMode } from '@ccus-gate/protocol';

export interface DirectionInput {
  /** The reader that saw the card, for two-reader gates. */
  reader: string;
  /** The subject's last direction on this working day, if any. */
  last: Direction | null;
}

/**
 * in / out: fixed. toggle: a working day starts with entry and alternates.
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
      return input.last === 'in' ? 'out' : 'in';
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
