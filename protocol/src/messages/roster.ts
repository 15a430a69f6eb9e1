import { z } from 'zod';
import { CardRefSchema, cardKey, SiteIdSchema, WorkerIdSchema } from '../ids.js';
import { LIMITS } from '../limits.js';
import { WallTimeSchema } from '../time.js';
import { VersionField } from './common.js';

/**
 * The cards a terminal may resolve to workers: card identifiers and worker IDs only.
 * Names and other personal data never reach a terminal.
 */
export const RosterSchema = z
  .strictObject({
    v: VersionField,
    siteId: SiteIdSchema,
    /** Grows with every change; a terminal ignores a roster older than the one it holds. */
    version: z.int().min(1),
    issuedAt: WallTimeSchema,
    entries: z
      .array(z.strictObject({ card: CardRefSchema, workerId: WorkerIdSchema }))
      .max(LIMITS.rosterEntries, `must hold at most ${LIMITS.rosterEntries} entries`),
  })
  .superRefine((roster, ctx) => {
    const seen = new Set<string>();
    for (const [i, entry] of roster.entries.entries()) {
      const key = cardKey(entry.card);
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['entries', i, 'card'], message: `must not repeat card ${key}` });
      }
      seen.add(key);
    }
  });
export type Roster = z.infer<typeof RosterSchema>;
