import { z } from 'zod';
import { CardRefSchema, TerminalIdSchema, WorkerIdSchema } from '../ids.js';
import { LIMITS } from '../limits.js';
import { WallTimeSchema } from '../time.js';
import { SeqSchema, UuidSchema, VersionField } from './common.js';

export const DIRECTIONS = ['in', 'out'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/**
 * unknown_card: the card was not in the terminal's roster when tapped.
 * clock_corrected: wall time was rewritten from monotonic time once the clock synchronised.
 * toggle: the terminal chose the direction from the worker's last tap (toggle mode), so the
 *   server may decide it again from every terminal at the site.
 * reader_correction: the same card on the other reader of a two-reader gate within the
 *   debounce window: this tap replaces the card's previous tap at this terminal.
 */
export const TAP_FLAGS = ['unknown_card', 'clock_corrected', 'toggle', 'reader_correction'] as const;
export type TapFlag = (typeof TAP_FLAGS)[number];

export const TapSchema = z.strictObject({
  seq: SeqSchema,
  card: CardRefSchema,
  /** The worker the terminal's roster resolved the card to, or null when unknown. */
  workerId: WorkerIdSchema.nullable(),
  direction: z.enum(DIRECTIONS),
  /** Wall time as the terminal knew it; trust it only when `clockSynced`. */
  at: WallTimeSchema,
  bootId: UuidSchema,
  /** Milliseconds since that boot, from a monotonic clock. */
  mono: z.int('must be whole milliseconds').min(0, 'must not be negative'),
  clockSynced: z.boolean(),
  flags: z
    .array(z.enum(TAP_FLAGS))
    .max(LIMITS.flagsPerTap)
    // Most taps have no flag: no Set for them (a batch is 500 taps, a drain a million).
    .refine((flags) => flags.length < 2 || new Set(flags).size === flags.length, 'must not repeat a flag'),
});
export type Tap = z.infer<typeof TapSchema>;

export const TapBatchSchema = z
  .strictObject({
    v: VersionField,
    terminalId: TerminalIdSchema,
    batchId: UuidSchema,
    sentAt: WallTimeSchema,
    taps: z
      .array(TapSchema)
      .min(1, 'must hold at least one tap')
      .max(LIMITS.tapsPerBatch, `must hold at most ${LIMITS.tapsPerBatch} taps`),
  })
  .superRefine((batch, ctx) => {
    for (let i = 1; i < batch.taps.length; i++) {
      const previous = batch.taps[i - 1];
      const tap = batch.taps[i];
      if (previous && tap && tap.seq <= previous.seq) {
        ctx.addIssue({
          code: 'custom',
          path: ['taps', i, 'seq'],
          message: `must be greater than the previous tap's seq (${previous.seq}): taps go in sequence order`,
        });
      }
    }
  });
export type TapBatch = z.infer<typeof TapBatchSchema>;
