import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import type { ServerStores } from '../store/server-stores.js';
import { type CcusGateway, type CcusReceipt, type CcusSubmission, isCcusError } from './gateway.js';
import { type OutboxItem, submissionOf } from './outbox-store.js';
import { TokenBucket } from './token-bucket.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ForwarderEvents {
  accepted: [{ item: OutboxItem; receipt: string }];
  refused: [{ item: OutboxItem; reason: string }];
  retrying: [{ item: OutboxItem; reason: string; inMs: number }];
  breaker: [BreakerState];
}

export interface ForwarderOptions {
  /** How often due retries are looked for, besides every kick. */
  pollMs?: number;
  /** Sends per second to CCUS, on average. */
  ratePerSecond?: number;
  /** First retry waits up to this long; each further one up to twice as long, capped by maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** The circuit opens when this share of recent sends failed (with at least `breakerVolume` sends)... */
  breakerErrorPercent?: number;
  breakerVolume?: number;
  /** ...and stays open this long before one trial send. */
  breakerResetMs?: number;
  /**
   * This server's name among those sharing the database, the same across its restarts: at
   * start it takes back what it was sending, and never what another live server is.
   */
  owner?: string;
  /** How long a claim on a record being sent lasts; longer than the gateway's timeout. */
  claimLeaseMs?: number;
}

/**
 * Drains the CCUS outbox: each due record is sent; accepted ones are done, refused ones
 * wait for a person, anything else is tried again with exponential backoff and full
 * jitter. Sends are rate-limited, and a circuit breaker stops sending while CCUS fails
 * most requests, so an outage costs one trial request per reset period, not a storm.
 */
export class CcusForwarder extends EventEmitter<ForwarderEvents> {
  readonly #outbox: ServerStores['outbox'];
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #options: Required<ForwarderOptions>;
  readonly #bucket: TokenBucket;
  readonly #breaker: CircuitBreaker<[CcusSubmission], CcusReceipt>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(
    deps: {
      stores: Pick<ServerStores, 'outbox'>;
      gateway: CcusGateway;
      log: Logger;
      now: () => Date;
    } & ForwarderOptions,
  ) {
    super();
    this.#outbox = deps.stores.outbox;
    this.#log = deps.log;
    this.#now = deps.now;
    this.#options = {
      pollMs: deps.pollMs ?? 5_000,
      ratePerSecond: deps.ratePerSecond ?? 20,
      baseBackoffMs: deps.baseBackoffMs ?? 1_000,
      maxBackoffMs: deps.maxBackoffMs ?? 3_600_000,
      breakerErrorPercent: deps.breakerErrorPercent ?? 50,
      breakerVolume: deps.breakerVolume ?? 10,
      breakerResetMs: deps.breakerResetMs ?? 30_000,
      owner: deps.owner ?? 'server',
      claimLeaseMs: deps.claimLeaseMs ?? 120_000,
    };
    this.#bucket = new TokenBucket({ ratePerSecond: this.#options.ratePerSecond });
    this.#breaker = new CircuitBreaker((submission: CcusSubmission) => deps.gateway.submit(submission), {
      // The gateway has its own timeout; a second one here would only race it.
      timeout: false,
      errorThresholdPercentage: this.#options.breakerErrorPercent,
      volumeThreshold: this.#options.breakerVolume,
      resetTimeout: this.#options.breakerResetMs,
      // A refusal is CCUS working as it should: it says nothing about CCUS being down.
      errorFilter: (error: unknown) => isCcusError(error) && error.kind === 'permanent',
    });
    this.#breaker.on('open', () => this.#onBreaker('open'));
    this.#breaker.on('halfOpen', () => {
      this.#onBreaker('half-open');
      this.kick();
    });
    this.#breaker.on('close', () => this.#onBreaker('closed'));
  }

  get breakerState(): BreakerState {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'half-open' : 'closed';
  }

  async start(): Promise<void> {
    this.#stopped = false;
    const requeued = await this.#outbox.requeueSending(this.#options.owner);
    if (requeued > 0) this.#log.info({ requeued }, 'records left sending at the last stop go again');
    this.#timer = setInterval(() => this.kick(), this.#options.pollMs);
    this.#timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
    this.#breaker.shutdown();
  }

  /** Sends what is due now; coalesces calls made while a pass is running. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      // The store away (PostgreSQL stopped): what is due stays due, and the next poll tries again.
      .catch((error: unknown) => this.#log.warn({ err: error }, 'could not send to CCUS now; trying at the next poll'))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  #onBreaker(state: BreakerState): void {
    const level = state === 'open' ? 'warn' : 'info';
    this.#log[level]({ state }, state === 'open' ? 'CCUS is failing; sending paused' : `CCUS circuit ${state}`);
    this.emit('breaker', state);
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped || this.#breaker.opened) return;
      // Half-open: one trial send decides whether the rest may follow.
      const { owner, claimLeaseMs } = this.#options;
      const items = await this.#outbox.claimDue(this.#breaker.halfOpen ? 1 : 20, owner, claimLeaseMs);
      if (items.length === 0) return;
      let held = performance.now();
      for (const [i, item] of items.entries()) {
        if (this.#stopped || this.#breaker.opened) {
          // Claimed but not sent: back to the queue as they were, no attempt spent.
          for (const rest of items.slice(i)) {
            await this.#outbox.markRetry(rest, 'CCUS circuit open', this.#now(), owner, false);
          }
          return;
        }
        for (let wait = this.#bucket.take(); wait > 0; wait = this.#bucket.take()) await sleep(wait);
        // Past a quarter of the lease (slow sends before this one), the claim is renewed first; one
        // that ran out meanwhile may be another server's now. Sooner, it surely still holds.
        if (performance.now() - held > claimLeaseMs / 4) {
          if (!(await this.#outbox.holdClaim(item, owner, claimLeaseMs))) {
            this.#log.warn(
              { record: item },
              'claim on a record ran out before it was sent; left to the server that took it',
            );
            continue;
          }
          held = performance.now();
        }
        await this.#send(item);
      }
    }
  }

  async #send(item: OutboxItem): Promise<void> {
    try {
      const receipt = await this.#breaker.fire(submissionOf(item));
      await this.#outbox.markAccepted(item, receipt.receipt, this.#options.owner);
      this.emit('accepted', { item, receipt: receipt.receipt });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isCcusError(error) && error.kind === 'permanent') {
        await this.#outbox.markRefused(item, `${error.code}: ${reason}`, this.#options.owner);
        this.#log.warn({ record: item, code: error.code, reason }, 'CCUS refused a record; it waits for a person');
        this.emit('refused', { item, reason: `${error.code}: ${reason}` });
        return;
      }
      const ceiling = Math.min(
        this.#options.maxBackoffMs,
        this.#options.baseBackoffMs * 2 ** Math.min(item.attempts - 1, 30),
      );
      const asked = isCcusError(error) ? (error.retryAfterMs ?? 0) : 0;
      const open = (error as { code?: string }).code === 'EOPENBREAKER' ? this.#options.breakerResetMs : 0;
      const inMs = Math.max(asked, open, Math.floor(Math.random() * ceiling));
      await this.#outbox.markRetry(item, reason, new Date(this.#now().getTime() + inMs), this.#options.owner);
      this.#log.info({ record: item, reason, inMs }, 'CCUS send failed; will retry');
      this.emit('retrying', { item, reason, inMs });
    }
  }
}
