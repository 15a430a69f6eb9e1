import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RecordKey } from '../records/record-queue.js';
import type { ServerStores } from '../store/server-stores.js';

const CHUNK = 200;
/**
 * A chunk stops after this long even when it has records left: a worker-day with hundreds
 * of taps takes milliseconds to rebuild, and 200 of them would hold every ack for as long.
 */
const BUDGET_MS = 20;
/** Batches arriving this recently mean a backlog is draining: taps and acks go first. */
const QUIET_MS = 25;
/** But records never wait longer than this while taps keep coming... */
const MAX_WAIT_MS = 100;
/** ...and then come in small, short chunks, so no ack waits behind a long one. */
const BUSY_CHUNK = 25;
const BUSY_BUDGET_MS = 5;

/**
 * Rebuilds the records whose taps changed, after the batch that changed them was acked.
 * Works in chunks, one turn of the event loop each. While batches keep arriving (a terminal
 * draining a backlog) it steps aside, building a small chunk at most ten times a second, so
 * storing and acking taps gets the thread; the records catch up when the stream pauses. Nothing is
 * lost meanwhile: the queue is in the database.
 */
export class RecordBuilder extends EventEmitter<{ records: [RecordKey[]] }> {
  readonly #records: ServerStores['records'];
  readonly #log: Logger;
  #scheduled: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | null = null;
  #stopped = false;
  /** A chunk is being built (the store may answer later); kicks meanwhile ask for one more pass. */
  #building = false;
  #again = false;
  #lastIngest = Number.NEGATIVE_INFINITY;
  #lastBuilt = performance.now();

  constructor(deps: { stores: Pick<ServerStores, 'records'>; log: Logger }) {
    super();
    this.#records = deps.stores.records;
    this.#log = deps.log;
  }

  /** A tap batch was just stored. */
  noteIngest(): void {
    this.#lastIngest = performance.now();
  }

  /** Something was queued (or may have been, before a restart): build it soon. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#building) {
      this.#again = true;
      return;
    }
    if (this.#scheduled !== null) return;
    this.#scheduled = {
      immediate: setImmediate(() => {
        this.#scheduled = null;
        void this.#step();
      }),
    };
  }

  stop(): void {
    this.#stopped = true;
    // Each with its own clear: clearImmediate on a Timeout corrupts Node's count of pending
    // immediates, after which no setImmediate callback in the process runs until some other event.
    if (this.#scheduled !== null && 'immediate' in this.#scheduled) clearImmediate(this.#scheduled.immediate);
    if (this.#scheduled !== null && 'timeout' in this.#scheduled) clearTimeout(this.#scheduled.timeout);
    this.#scheduled = null;
  }

  async #step(): Promise<void> {
    const now = performance.now();
    const busy = now - this.#lastIngest < QUIET_MS;
    if (busy && now - this.#lastBuilt < MAX_WAIT_MS) {
      this.#scheduled = {
        timeout: setTimeout(() => {
          this.#scheduled = null;
          void this.#step();
        }, QUIET_MS),
      };
      return;
    }
    this.#lastBuilt = now;
    let keys: RecordKey[] = [];
    this.#building = true;
    try {
      keys = await this.#records.rebuildQueued(busy ? BUSY_CHUNK : CHUNK, busy ? BUSY_BUDGET_MS : BUDGET_MS);
    } catch (error) {
      // The queue keeps them; the next batch or restart tries again.
      this.#log.error({ err: error }, 'could not rebuild records');
    } finally {
      this.#building = false;
    }
    if (keys.length > 0) this.emit('records', keys);
    // A chunk cut short by its budget leaves records queued: go on until a pass finds none.
    if (keys.length > 0 || this.#again) {
      this.#again = false;
      this.kick();
    }
  }
}
