import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CompanyId,
  CompanyIdSchema,
  ccusDeadline,
  ccusToday,
  SiteIdSchema,
  WorkerIdSchema,
} from '@ccus-gate/protocol';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { CcusRegister } from './ccus-register.js';
import { registerRoutes } from './register-routes.js';

/** Site fee CCUS charges the prime contractor per work record. */
export const FEE_PER_RECORD_YEN = 10;

const SubmissionSchema = z.strictObject({
  idempotencyKey: z.string().min(1).max(200),
  companyId: CompanyIdSchema,
  siteId: SiteIdSchema,
  workerId: WorkerIdSchema,
  workingDay: z.iso.date(),
  entryAt: z.iso.datetime({ offset: true }).nullable(),
  exitAt: z.iso.datetime({ offset: true }).nullable(),
  // Optional on the wire so an old client's submission is refused by rule (no_trade), not as malformed.
  trade: z.string().min(1).max(100).nullable().default(null),
  position: z.string().min(1).max(100).nullable().default(null),
});

/**
 * How the simulator misbehaves when told to:
 * - timeout: answers only after `delayMs` (longer than the client waits); with `stored`,
 *   it has kept the record all the same, so the client's retry must not make a second;
 * - server_error: a 5xx answer; rate_limit: 429 with Retry-After;
 * - refuse: a 422 refusal with the given code (a permanent one, for a person to fix).
 */
export const CcusFailureSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('timeout'),
    delayMs: z.int().min(1).max(120_000),
    stored: z.boolean().default(false),
  }),
  z.strictObject({
    kind: z.literal('server_error'),
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).default(503),
  }),
  z.strictObject({ kind: z.literal('rate_limit'), retryAfterSeconds: z.int().min(1).max(3600).default(1) }),
  z.strictObject({
    kind: z.literal('refuse'),
    code: z.string().min(1).max(64),
    message: z.string().max(300).default('refused'),
  }),
]);
export type CcusFailure = z.input<typeof CcusFailureSchema>;

const FailureOrderSchema = z.strictObject({
  failure: CcusFailureSchema,
  /** How many submissions fail this way; absent: every one until cleared. */
  count: z.int().min(1).optional(),
});

export interface SimulatedRecord {
  receipt: string;
  siteId: string;
  workerId: string;
  workingDay: string;
  entryAt: string | null;
  exitAt: string | null;
  trade: string;
  position: string | null;
  submissions: number;
}

/**
 * A stand-in for CCUS that keeps its rules (DOMAIN.md): one record per worker, site and
 * working day (a repeat is accepted and updates the times, with no new fee); history only
 * for workers on the site's roster; input until the end of the month after the working
 * day; valid IDs. It can be told to fail, through `failWith` or its control endpoint.
 */
export class CcusSimulator {
  readonly records = new Map<string, SimulatedRecord>();
  /** Workers, sites, structures and rosters, as registered. */
  readonly register = new CcusRegister();
  readonly #now: () => Date;
  feesYen = 0;
  /** Every submission that reached it, failed or not. */
  requests = 0;
  #failure: { failure: z.output<typeof CcusFailureSchema>; remaining: number | null } | null = null;

  constructor(options: { now?: () => Date } = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * A test's shortcut past CCUS's registration rules: puts these workers, and only they, on the
   * site's roster (registering the site, held by company `0`, when CCUS has not got it). A worker
   * given with trades is registered for them. The demo and the server use the registration
   * routes instead (`app`).
   */
  setRoster(siteId: string, workers: Iterable<string | { workerId: string; trades: string[] }>): void {
    const site = this.register.sites.get(siteId) ?? {
      name: siteId,
      primeCompanyId: '0',
      companies: new Map(),
      roster: new Map(),
    };
    site.roster.clear();
    for (const worker of workers) {
      const workerId = typeof worker === 'string' ? worker : worker.workerId;
      if (typeof worker !== 'string') this.registerWorker(workerId, worker.trades);
      const companyId = (this.register.workers.get(workerId)?.employerCompanyId ?? site.primeCompanyId) as CompanyId;
      site.roster.set(workerId, { companyId, trade: null, position: null, workContent: null });
    }
    this.register.sites.set(siteId, site);
  }

  /** The trades a worker is registered for (in CCUS, by the worker or their employer). */
  registerWorker(
    workerId: string,
    trades: Iterable<string>,
    detail: { name?: string; employerCompanyId?: string } = {},
  ): void {
    const before = this.register.workers.get(workerId);
    this.register.registerWorker(workerId, {
      name: detail.name ?? before?.name ?? workerId,
      employerCompanyId: (detail.employerCompanyId ?? before?.employerCompanyId ?? '0') as CompanyId,
      trades: [...trades],
    });
  }

  /** Fails the next `count` submissions (all, when absent) the given way. */
  failWith(failure: CcusFailure, count?: number): void {
    this.#failure = { failure: CcusFailureSchema.parse(failure), remaining: count ?? null };
  }

  recover(): void {
    this.#failure = null;
  }

  #nextFailure(): z.output<typeof CcusFailureSchema> | null {
    const current = this.#failure;
    if (current === null) return null;
    if (current.remaining !== null && --current.remaining <= 0) this.#failure = null;
    return current.failure;
  }

  /** Applies the rules to one submission; null when it may be stored. */
  #check(record: z.output<typeof SubmissionSchema>): { code: string; message: string } | null {
    const today = ccusToday(this.#now());
    const deadline = ccusDeadline(record.workingDay);
    if (record.workingDay > today) return { code: 'future_day', message: `${record.workingDay} has not happened yet` };
    if (today > deadline)
      return { code: 'deadline_passed', message: `input for ${record.workingDay} closed on ${deadline}` };
    if (!this.register.onRoster(record.siteId, record.workerId)) {
      return {
        code: 'not_on_roster',
        message: `worker ${record.workerId} is not on the roster of site ${record.siteId}`,
      };
    }
    if (record.trade === null) {
      return { code: 'no_trade', message: `the record of worker ${record.workerId} has no trade (職種)` };
    }
    if (!this.register.tradesOf(record.workerId).includes(record.trade)) {
      return {
        code: 'trade_not_registered',
        message: `worker ${record.workerId} is not registered for the trade ${record.trade}`,
      };
    }
    return null;
  }

  #store(record: z.output<typeof SubmissionSchema>): { stored: SimulatedRecord; created: boolean } {
    const key = `${record.siteId}/${record.workerId}/${record.workingDay}`;
    const existing = this.records.get(key);
    if (existing !== undefined) {
      existing.entryAt = record.entryAt;
      existing.exitAt = record.exitAt;
      existing.trade = record.trade as string;
      existing.position = record.position;
      existing.submissions++;
      return { stored: existing, created: false };
    }
    const stored: SimulatedRecord = {
      receipt: `sim-${randomUUID()}`,
      siteId: record.siteId,
      workerId: record.workerId,
      workingDay: record.workingDay,
      entryAt: record.entryAt,
      exitAt: record.exitAt,
      trade: record.trade as string,
      position: record.position,
      submissions: 1,
    };
    this.records.set(key, stored);
    this.feesYen += FEE_PER_RECORD_YEN;
    return { stored, created: true };
  }

  async #submit(c: Context): Promise<Response> {
    this.requests++;
    const parsed = SubmissionSchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return c.json({ code: 'invalid_request', message: `${issue?.path.join('.')}: ${issue?.message}` }, 400);
    }
    const failure = this.#nextFailure();
    if (failure?.kind === 'server_error')
      return c.json({ code: 'unavailable', message: 'simulated outage' }, failure.status);
    if (failure?.kind === 'rate_limit') {
      c.header('retry-after', String(failure.retryAfterSeconds));
      return c.json({ code: 'rate_limited', message: 'too many requests' }, 429);
    }
    if (failure?.kind === 'refuse') return c.json({ code: failure.code, message: failure.message }, 422);
    const refusal = this.#check(parsed.data);
    const result = refusal === null && (failure === null || failure.stored) ? this.#store(parsed.data) : null;
    if (failure?.kind === 'timeout') await sleep(failure.delayMs);
    if (refusal !== null) return c.json(refusal, 422);
    if (result === null) return c.json({ code: 'unavailable', message: 'simulated timeout' }, 504);
    return c.json({ receipt: result.stored.receipt, status: 'accepted' }, result.created ? 201 : 200);
  }

  readonly app: Hono = new Hono()
    .route('/v1', registerRoutes(this.register))
    .post('/v1/work-records', (c) => this.#submit(c))
    .get('/v1/work-records', (c) =>
      c.json({ records: [...this.records.values()], feesYen: this.feesYen, requests: this.requests }),
    )
    // Test control: make the simulator fail, or recover.
    .put('/v1/_control/failure', async (c) => {
      const order = FailureOrderSchema.safeParse(await c.req.json().catch(() => null));
      if (!order.success) return c.json({ code: 'invalid_request', message: order.error.issues[0]?.message }, 400);
      this.failWith(order.data.failure, order.data.count);
      return c.json({ failing: order.data });
    })
    .delete('/v1/_control/failure', (c) => {
      this.recover();
      return c.json({ failing: null });
    });
}
