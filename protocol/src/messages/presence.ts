import { z } from 'zod';
import { SiteIdSchema, WorkerIdSchema } from '../ids.js';
import { LIMITS } from '../limits.js';
import { WallTimeSchema } from '../time.js';
import { VersionField } from './common.js';

/**
 * Who is on site now, by the server's view of every terminal at the site: each worker whose
 * shift is open, since when, and on which working day's record. A toggle terminal answers
 * "exit" to a worker who entered through another of the site's terminals. Worker IDs only,
 * no names. Retained; a terminal ignores a snapshot older than the one it holds.
 */
export const PresenceSchema = z
  .strictObject({
    v: VersionField,
    siteId: SiteIdSchema,
    /** Grows with every snapshot. */
    version: z.int().min(1),
    issuedAt: WallTimeSchema,
    onSite: z
      .array(
        z.strictObject({
          workerId: WorkerIdSchema,
          /** When the open shift began (its first entry). */
          since: WallTimeSchema,
          /** The working day whose record the shift belongs to. */
          recordDay: z.iso.date({ error: 'must be a date as YYYY-MM-DD' }),
        }),
      )
      .max(LIMITS.rosterEntries, `must hold at most ${LIMITS.rosterEntries} entries`),
  })
  .superRefine((presence, ctx) => {
    const seen = new Set<string>();
    for (const [i, entry] of presence.onSite.entries()) {
      if (seen.has(entry.workerId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['onSite', i, 'workerId'],
          message: `must not repeat worker ${entry.workerId}`,
        });
      }
      seen.add(entry.workerId);
    }
  });
export type Presence = z.infer<typeof PresenceSchema>;
