import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RecordKey, ServerStore } from '../store/server-store.js';

const CHUNK = 200;

/**
 * Rebuilds the records whose taps changed, after the batch that changed them was acked.
 * Works in chunks, one turn of the event loop each, so acks for the next batches go out
 * in between and a terminal draining a backlog never waits for record building.
 */
export class RecordBuilder extends EventEmitter<{ records: [RecordKey[]] }> {
  readonly #store: ServerStore;
  readonly #log: Logger;
  #scheduled: NodeJS.Immediate | null = null;
  #stopped = false;

  constructor(deps: { store: ServerStore; log: Logger }) {
    super();
    this.#store = deps.store;
    this.#log = deps.log;
  }

  /** Something was queued (or may have been, before a restart): build it soon. */
  kick(): void {
    if (this.#scheduled !== null || this.#stopped) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = null;
      this.#step();
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
  }

  #step(): void {
    let keys: RecordKey[];
    try {
      keys = this.#store.rebuildQueuedRecords(CHUNK);
    } catch (error) {
      // The queue keeps them; the next batch or restart tries again.
      this.#log.error({ err: error }, 'could not rebuild records');
      return;
    }
    if (keys.length > 0) this.emit('records', keys);
    if (keys.length === CHUNK) this.kick();
  }
}
