import { z } from 'zod';
import { WallTimeSchema } from '../time.js';
import { UuidSchema, VersionField } from './common.js';

export const COMMANDS = ['selftest', 'resync_roster', 'report_status'] as const;
export type CommandName = (typeof COMMANDS)[number];

export const CommandSchema = z.strictObject({
  v: VersionField,
  id: UuidSchema,
  command: z.enum(COMMANDS),
  issuedAt: WallTimeSchema,
});
export type Command = z.infer<typeof CommandSchema>;
