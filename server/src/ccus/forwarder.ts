import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { OutboxItem, ServerStore } from '../store/server-store.js';
import { type CcusGateway, isCcusError } from './gateway.js';

export interface ForwarderEvents {
  accepted: [{ item: OutboxItem; receipt: string }];
  refused: [{ item: OutboxItem; reason: string }];
  retrying: [{ item: OutboxItem; reason: string; inMs: number }];
}

/**
 * Drains the CCUS outbox: each due record is sent; accepted ones are done, refused ones
 * wait for a person, anything else is tried again with exponential backoff and jitter.
 */
export class CcusForwarder extends EventEmitter<ForwarderEvents> {
  readonly #store: ServerStore;
  readonly #gateway: CcusGateway;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = true;

  constructor(deps: { store: ServerStore; gateway: CcusGateway; log: Logger; now: () => Date; pollMs?: number }) {
    super();
    this.#store = deps.store;
    this.#gateway = deps.gateway;
    this.#log = deps.log;
    this.#now = deps.now;
    this.#pollMs = deps.pollMs ?? 5_000;
  }

  start(): void {
    this.#stopped = false;
    this.#store.requeueSending();
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Sends what is due now; coalesces calls made while a pass is running. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const items = this.#store.claimDue(20);
      if (items.length === 0) return;
      for (const item of items) await this.#send(item);
    }
  }

  async #send(item: OutboxItem): Promise<void> {
    try {
      const receipt = await this.#gateway.submit({
        idempotencyKey: item.idempotencyKey,
        companyId: item.companyId,
        siteId: item.siteId,
        workerId: item.workerId,
        workingDay: item.workingDay,
        entryAt: item.firstIn,
        exitAt: item.lastOut,
      });
      this.#store.markAccepted(item, receipt.receipt);
      this.emit('accepted', { item, receipt: receipt.receipt });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isCcusError(error) && error.kind === 'permanent') {
        this.#store.markRefused(item, `${error.code}: ${reason}`);
        this.#log.warn({ record: item, code: error.code, reason }, 'CCUS refused a record; it waits for a person');
        this.emit('refused', { item, reason: `${error.code}: ${reason}` });
        return;
      }
      const ceiling = Math.min(3_600_000, 1000 * 2 ** Math.min(item.attempts, 12));
      const inMs = Math.max(isCcusError(error) ? (error.retryAfterMs ?? 0) : 0, Math.floor(Math.random() * ceiling));
      this.#store.markRetry(item, reason, new Date(this.#now().getTime() + inMs));
      this.#log.info({ record: item, reason, inMs }, 'CCUS send failed; will retry');
      this.emit('retrying', { item, reason, inMs });
    }
  }
}
