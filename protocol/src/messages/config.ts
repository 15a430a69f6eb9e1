import { z } from 'zod';
import { SiteIdSchema } from '../ids.js';
import { DEFAULT_MAX_SHIFT_HOURS, MAX_SHIFT_HOURS_LIMIT } from '../shifts.js';
import { DayBoundarySchema, TimeZoneSchema } from '../time.js';
import { VersionField } from './common.js';
import { UpdateOfferSchema } from './release.js';

/**
 * in / out: every tap is an entry (or exit). toggle: a worker's taps alternate within a
 * working day, starting with entry. two-reader: one reader is the entry, the other the exit.
 */
export const DIRECTION_MODES = ['in', 'out', 'toggle', 'two-reader'] as const;
export type DirectionMode = (typeof DIRECTION_MODES)[number];

/** The languages a terminal's display speaks to workers: Japanese, English, Vietnamese, Indonesian. */
export const GATE_LANGUAGES = ['ja', 'en', 'vi', 'id'] as const;
export type GateLanguage = (typeof GATE_LANGUAGES)[number];

export const TerminalConfigSchema = z.strictObject({
  v: VersionField,
  version: z.int().min(1),
  siteId: SiteIdSchema,
  timeZone: TimeZoneSchema,
  dayBoundary: DayBoundarySchema,
  directionMode: z.enum(DIRECTION_MODES),
  debounceSeconds: z.int().min(0).max(3600),
  /** accept: record and flag a card not in the roster; refuse: record nothing, show refusal. */
  unknownCard: z.enum(['accept', 'refuse']),
  retentionDays: z.int().min(1).max(3650),
  /** How long a shift may run past the day boundary and still be closed by an exit (toggle mode). */
  maxShiftHours: z.int().min(1).max(MAX_SHIFT_HOURS_LIMIT).default(DEFAULT_MAX_SHIFT_HOURS),
  /** The site's language for the display at the gate (optional on the wire: Japanese when absent). */
  language: z.enum(GATE_LANGUAGES).default('ja'),
  /** A release to install, while a rollout targets this terminal (optional on the wire). */
  update: UpdateOfferSchema.optional(),
});
export type TerminalConfig = z.infer<typeof TerminalConfigSchema>;
