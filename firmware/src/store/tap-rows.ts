import type { CardRef, Direction, Tap, TapFlag, WorkerId } from '@ccus-gate/protocol';

/** What the terminal store keeps of a tap, and how a stored row becomes a tap again. */

export interface NewTap {
  card: CardRef;
  workerId: WorkerId | null;
  direction: Direction;
  at: Date;
  workingDay: string;
  bootId: string;
  mono: number;
  clockSynced: boolean;
  flags: TapFlag[];
}

export const TAP_STATES = ['pending', 'delivered', 'rejected'] as const;
export type TapState = (typeof TAP_STATES)[number];
export interface StoreOptions {
  /**
   * Caps the database at this many bytes, so a store that grows without limit (a long
   * outage) shows as a fault before the SD card itself fills and the OS cannot log.
   */
  maxBytes?: number | null;
}

export type TapCounts = Record<TapState, number>;

export interface StoreSummary {
  path: string;
  schemaVersion: number;
  counts: TapCounts;
  oldestPendingAt: string | null;
  lastTap: { seq: number; at: string } | null;
  /** The highest sequence number ever given out, even if that tap was pruned. */
  highestSeq: number;
  rosterVersion: number | null;
  bytes: number;
}

export interface StoredTap extends Tap {
  workingDay: string;
  state: TapState;
}

export interface SettledTap {
  seq: number;
  card: CardRef;
  state: Exclude<TapState, 'pending'>;
  reason: string | null;
}

/** A tap as `settle` changed it: `reject_reason` is null for a delivered one. */
export interface SettledRow {
  seq: number;
  tech: CardRef['tech'];
  card_id: string;
  reject_reason: string | null;
}

/** The columns of a `TapRow`: a drain reads a million of them, so none it does not use. */
export const TAP_COLUMNS =
  'seq, tech, card_id, worker_id, direction, at, working_day, boot_id, mono, clock_synced, flags, state';

export interface TapRow {
  seq: number;
  tech: CardRef['tech'];
  card_id: string;
  worker_id: string | null;
  direction: Direction;
  at: string;
  working_day: string;
  boot_id: string;
  mono: number;
  clock_synced: number;
  flags: string;
  state: TapState;
}

/** A tap as it goes out in a batch, straight from its row: a drain makes a million of these. */
export function toWire(row: TapRow): Tap {
  return {
    seq: row.seq,
    card: { tech: row.tech, id: row.card_id } as CardRef,
    workerId: row.worker_id as WorkerId | null,
    direction: row.direction,
    at: row.at,
    bootId: row.boot_id,
    mono: row.mono,
    clockSynced: row.clock_synced === 1,
    flags: row.flags === '[]' ? [] : (JSON.parse(row.flags) as TapFlag[]),
  };
}

/** A tap with what only the terminal keeps: its working day and whether it was delivered. */
export function fromRow(row: TapRow): StoredTap {
  return { ...toWire(row), workingDay: row.working_day, state: row.state };
}
