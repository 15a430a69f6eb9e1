/**
 * Hard limits on what crosses the wire. Both sides enforce them: a terminal never
 * builds a bigger message, and the server refuses one before parsing it.
 */
export const LIMITS = {
  /** Taps in one batch. 500 taps of ~300 bytes stay well under `messageBytes.taps`. */
  tapsPerBatch: 500,
  /** Entries in one roster snapshot: a very large site with several cards per worker. */
  rosterEntries: 50_000,
  /** Flags on one tap. */
  flagsPerTap: 8,
  /** Characters in a free-text reason or error message. */
  reasonChars: 300,
  messageBytes: {
    taps: 256 * 1024,
    ack: 256 * 1024,
    status: 16 * 1024,
    roster: 8 * 1024 * 1024,
    presence: 8 * 1024 * 1024,
    config: 16 * 1024,
    cmd: 16 * 1024,
  },
} as const;
