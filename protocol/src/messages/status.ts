import { z } from 'zod';
import { TerminalIdSchema } from '../ids.js';
import { LIMITS } from '../limits.js';
import { WallTimeSchema } from '../time.js';
import { COMMANDS } from './command.js';
import { UuidSchema, VersionField } from './common.js';

export const READER_STATES = ['starting', 'ok', 'absent', 'error'] as const;
export const CLOCK_SOURCES = ['system', 'server', 'none'] as const;

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
