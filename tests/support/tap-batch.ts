import { randomUUID } from 'node:crypto';
import { type CardTech, decodeMessage, type TapBatch, type TapFlag, type TerminalId } from '@ccus-gate/protocol';

/** The boot the tests' terminals are in, and when it began: monotonic time keeps step with wall time. */
export const TEST_BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';
const BOOTED_AT = Date.parse('2026-09-01T00:00:00Z');

export interface TestTap {
  seq: number;
  /** Checked by the codec, as the server checks it: a plain id will do. */
  card: { tech: CardTech; id: string };
  at: string;
  workerId?: string | null;
  direction?: 'in' | 'out';
  bootId?: string;
  /** By default the milliseconds since TEST_BOOT began, as the terminal's clock would say. */
  mono?: number;
  clockSynced?: boolean;
  flags?: TapFlag[];
}

/**
 * A tap batch as the server receives it, decoded by the protocol's own codec, so a test
 * cannot build one the wire would refuse. Unsaid: a synchronised tap in, of no worker known.
 */
export function tapBatch(terminalId: TerminalId, taps: readonly TestTap[]): TapBatch {
  return decodeMessage(
    'taps',
    JSON.stringify({
      v: 1,
      terminalId,
      batchId: randomUUID(),
      sentAt: '2026-11-24T03:00:00.000Z',
      taps: taps.map((tap) => ({
        seq: tap.seq,
        card: tap.card,
        workerId: tap.workerId ?? null,
        direction: tap.direction ?? 'in',
        at: tap.at,
        bootId: tap.bootId ?? TEST_BOOT,
        mono: tap.mono ?? Date.parse(tap.at) - BOOTED_AT,
        clockSynced: tap.clockSynced ?? true,
        flags: tap.flags ?? [],
      })),
    }),
  ) as TapBatch;
}
