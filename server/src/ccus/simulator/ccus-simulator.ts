import { randomUUID } from 'node:crypto';
import { CompanyIdSchema, ccusDeadline, ccusToday, SiteIdSchema, WorkerIdSchema } from '@ccus-gate/protocol';
import { Hono } from 'hono';
import { z } from 'zod';

/** Site fee CCUS charges the prime contractor per work record. */
export const FEE_PER_RECORD_YEN = 10;

const SubmissionSchema = z.object({
  idempotencyKey: z.string().min(1).max(200),
  companyId: CompanyIdSchema,
  siteId: SiteIdSchema,
  workerId: WorkerIdSchema,
  workingDay: z.iso.date(),
  entryAt: z.iso.datetime({ offset: true }).nullable(),
  exitAt: z.iso.datetime({ offset: true }).nullable(),
});

export interface SimulatedRecord {
  receipt: string;
  siteId: string;
  workerId: string;
  workingDay: string;
  entryAt: string | null;
  exitAt: string | null;
  submissions: number;
}

/**
 * A stand-in for CCUS that keeps its rules (DOMAIN.md): one record per worker, site and
 * working day (a repeat is accepted and updates the times, with no new fee); history only
 * for workers on the site's roster; input until the end of the month after the working day.
 */
export class CcusSimulator {
  readonly records = new Map<string, SimulatedRecord>();
  readonly rosters = new Map<string, Set<string>>();
  readonly #now: () => Date;
  feesYen = 0;

  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /** In CCUS the prime contractor registers the site roster; here a test or the demo does. */
  setRoster(siteId: string, workerIds: Iterable<string>): void {
    this.rosters.set(siteId, new Set(workerIds));
  }

  readonly app: Hono = new Hono()
    .put('/v1/sites/:siteId/roster', async (c) => {
      const body = z.object({ workerIds: z.array(WorkerIdSchema) }).safeParse(await c.req.json().catch(() => null));
      if (!body.success) return c.json({ code: 'invalid_request', message: body.error.issues[0]?.message }, 400);
      this.setRoster(c.req.param('siteId'), body.data.workerIds);
      return c.json({ siteId: c.req.param('siteId'), workers: body.data.workerIds.length });
    })
    .post('/v1/work-records', async (c) => {
      const parsed = SubmissionSchema.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return c.json({ code: 'invalid_request', message: `${issue?.path.join('.')}: ${issue?.message}` }, 400);
      }
      const record = parsed.data;
      const today = ccusToday(this.#now());
      const deadline = ccusDeadline(record.workingDay);
      if (today > deadline) {
        return c.json(
          { code: 'deadline_passed', message: `input for ${record.workingDay} closed on ${deadline}` },
          422,
        );
      }
      if (!this.rosters.get(record.siteId)?.has(record.workerId)) {
        return c.json(
          { code: 'not_on_roster', message: `worker ${record.workerId} is not on the roster of site ${record.siteId}` },
          422,
        );
      }
      const key = `${record.siteId}/${record.workerId}/${record.workingDay}`;
      const existing = this.records.get(key);
      if (existing !== undefined) {
        existing.entryAt = record.entryAt;
        existing.exitAt = record.exitAt;
        existing.submissions++;
        return c.json({ receipt: existing.receipt, status: 'accepted' }, 200);
      }
      const stored: SimulatedRecord = {
        receipt: `sim-${randomUUID()}`,
        siteId: record.siteId,
        workerId: record.workerId,
        workingDay: record.workingDay,
        entryAt: record.entryAt,
        exitAt: record.exitAt,
        submissions: 1,
      };
      this.records.set(key, stored);
      this.feesYen += FEE_PER_RECORD_YEN;
      return c.json({ receipt: stored.receipt, status: 'accepted' }, 201);
    })
    .get('/v1/work-records', (c) => c.json({ records: [...this.records.values()], feesYen: this.feesYen }));
}
