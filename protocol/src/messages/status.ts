import { z } from 'zod';
import { TerminalIdSchema } from '../ids.js';
import { LIMITS } from '../limits.js';
import { WallTimeSchema } from '../time.js';
import { COMMANDS } from './command.js';
import { UuidSchema, VersionField } from './common.js';
import { ReleaseVersionSchema, UPDATE_STATES } from './release.js';

export const READER_STATES = ['starting', 'ok', 'absent', 'error'] as const;
export const CLOCK_SOURCES = ['system', 'server', 'none'] as const;

/** How the Pi itself is: what wears out or runs out in the field. Optional: older terminals send none. */
export const HealthSchema = z.strictObject({
  /** The SoC's temperature; null where the machine has no thermal zone. */
  cpuTempC: z.number().min(-50).max(150).nullable(),
  /** The firmware's throttling flags (a Raspberry Pi's get_throttled); null elsewhere. */
  throttled: z
    .strictObject({
      underVoltage: z.boolean(),
      throttled: z.boolean(),
      softTempLimit: z.boolean(),
      underVoltageSinceBoot: z.boolean(),
      throttledSinceBoot: z.boolean(),
    })
    .nullable(),
  /** The file system that holds the store. */
  diskFreeBytes: z.int().min(0).nullable(),
  diskTotalBytes: z.int().min(0).nullable(),
  /** The store's database with its WAL. */
  storeBytes: z.int().min(0),
  /** Taps a day at this gate, over the last seven days (null before the first). */
  tapsPerDay: z.number().min(0).nullable(),
  /** How many days of taps at that rate the disk and the store's cap still hold offline. */
  daysOfTapsLeft: z.number().min(0).nullable(),
  memoryRssBytes: z.int().min(0),
  memoryAvailableBytes: z.int().min(0).nullable(),
  /** The machine's uptime. */
  uptimeSeconds: z.int().min(0),
  /** Reader errors since the terminal started. */
  readerErrors: z.int().min(0),
  /**
   * Why the lights, buzzer or relay could not be opened at start (the terminal still takes and
   * keeps taps, without feedback); null when they work. Optional: older terminals send none.
   */
  outputsFault: z.string().max(LIMITS.reasonChars).nullable().optional(),
});
export type Health = z.infer<typeof HealthSchema>;

/** Retained on the status topic while the terminal runs. */
export const OnlineStatusSchema = z.strictObject({
  v: VersionField,
  terminalId: TerminalIdSchema,
  state: z.literal('online'),
  at: WallTimeSchema,
  firmware: z.string().min(1).max(64),
  bootId: UuidSchema,
  queueDepth: z.int().min(0),
  oldestUndeliveredAt: WallTimeSchema.nullable(),
  rejectedCount: z.int().min(0),
  clock: z.strictObject({ synced: z.boolean(), source: z.enum(CLOCK_SOURCES) }),
  rosterVersion: z.int().min(1).nullable(),
  reader: z.strictObject({ state: z.enum(READER_STATES), model: z.string().max(64).nullable() }),
  store: z.strictObject({ state: z.enum(['ok', 'fault']) }),
  lastError: z
    .strictObject({ code: z.string().min(1).max(64), message: z.string().max(LIMITS.reasonChars), at: WallTimeSchema })
    .nullable(),
  /** The last command from the server and how it went, so a remote self-test has an answer. */
  lastCommand: z
    .strictObject({
      id: UuidSchema,
      command: z.enum(COMMANDS),
      at: WallTimeSchema,
      ok: z.boolean(),
      detail: z.string().max(LIMITS.reasonChars),
    })
    .nullable()
    .optional(),
  health: HealthSchema.optional(),
  /** The last update and how it went: installed and confirmed, rolled back, or failed and why. */
  update: z
    .strictObject({
      version: ReleaseVersionSchema,
      state: z.enum(UPDATE_STATES),
      detail: z.string().max(LIMITS.reasonChars),
      at: WallTimeSchema,
    })
    .nullable()
    .optional(),
});

/** The last will: fixed when the terminal connects, so it carries no measurements. */
export const OfflineStatusSchema = z.strictObject({
  v: VersionField,
  terminalId: TerminalIdSchema,
  state: z.literal('offline'),
});

export const StatusSchema = z.discriminatedUnion('state', [OnlineStatusSchema, OfflineStatusSchema], {
  error: 'state must be "online" or "offline"',
});
export type Status = z.infer<typeof StatusSchema>;
export type OnlineStatus = z.infer<typeof OnlineStatusSchema>;
