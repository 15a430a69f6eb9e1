import { ccusToday } from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import type { ServerStores } from '../store/server-stores.js';
import { deliver, type Mailer } from './alert-delivery.js';
import { alertsOf } from './tenant-alerts.js';

/** Tries of one delivery before it is given up, and the first wait (doubled each time, at most 6 h). */
const MAX_ATTEMPTS = 8;
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 6 * 3_600_000;

export interface AlertDispatcherOptions {
  /** How often the tenants' alerts are looked at and due deliveries sent. */
  intervalMs?: number;
  /** The wait after a first failed attempt, doubled after each next (at most 6 h). */
  firstRetryMs?: number;
  mailer: Mailer | null;
}

/** Subscriptions and deliveries, and what the alerts are read from. */
export type AlertStores = Pick<ServerStores, 'alertSubscriptions' | 'directory' | 'queries'>;

/**
 * Delivers alerts by e-mail and signed webhook: on each turn it asks each subscribed tenant's
 * alerts (the same as GET /api/v1/alerts), queues those not delivered before, and sends what
 * is due, retrying a failure with a doubling wait until it gives up.
 */
export class AlertDispatcher {
  readonly #stores: AlertStores;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #options: Required<Omit<AlertDispatcherOptions, 'mailer'>> & Pick<AlertDispatcherOptions, 'mailer'>;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: AlertDispatcherOptions, deps: { stores: AlertStores; log: Logger; now: () => Date }) {
    this.#options = { intervalMs: 60_000, firstRetryMs: FIRST_RETRY_MS, ...options };
    this.#stores = deps.stores;
    this.#log = deps.log;
    this.#now = deps.now;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.tick(), this.#options.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One turn: queue new alerts, send what is due. Turns never overlap. */
  tick(): Promise<void> {
    this.#running ??= this.#turn().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #turn(): Promise<void> {
    const store = this.#stores.alertSubscriptions;
    try {
      const today = ccusToday(this.#now());
      for (const scope of await store.tenantsSubscribed()) {
        await store.offer(scope, await alertsOf(this.#stores, scope, this.#now()), today);
      }
      for (const delivery of await store.due(100)) {
        try {
          await deliver(delivery, { mailer: this.#options.mailer, now: this.#now });
          await store.markSent(delivery.id);
        } catch (error) {
          const attempts = delivery.attempts + 1;
          const wait = Math.min(MAX_RETRY_MS, this.#options.firstRetryMs * 2 ** (attempts - 1));
          const retryAt = attempts >= MAX_ATTEMPTS ? null : new Date(this.#now().getTime() + wait).toISOString();
          await store.markFailed(delivery.id, (error as Error).message, retryAt);
          this.#log.warn(
            { err: error, delivery: delivery.id, channel: delivery.subscription.channel, attempts, retryAt },
            retryAt === null ? 'alert delivery given up' : 'alert delivery failed; will retry',
          );
        }
      }
    } catch (error) {
      this.#log.error({ err: error }, 'alert dispatch failed');
    }
  }
}
