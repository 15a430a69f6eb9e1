import type { TapBatch } from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import { isStoreError } from '../store/store-error.js';
import type { BatchTerminal, StoredBatch } from '../store/tap-store.js';

/** What the writer stores through: one batch, or several in one transaction (store/tap-store.ts). */
export interface BatchStore {
  storeBatch(terminal: BatchTerminal, batch: TapBatch): StoredBatch | Promise<StoredBatch>;
  storeBatches(items: readonly { terminal: BatchTerminal; batch: TapBatch }[]): StoredBatch[] | Promise<StoredBatch[]>;
}

export interface TapWriterOptions {
  /** The most taps one transaction stores (on SQLite the thread is the store's meanwhile); 0 stores each batch alone. */
  maxTaps?: number;
  /** Transactions under way at once: 1 for SQLite (one writer anyway); more for PostgreSQL's pool. */
  inFlight?: number;
}

interface Waiting {
  terminal: BatchTerminal;
  batch: TapBatch;
  resolve: (stored: StoredBatch) => void;
  reject: (error: unknown) => void;
}

/**
 * Stores tap batches, the ones that arrive together in one transaction (group commit). A
 * batch of a hundred taps costs about as much to commit as to insert, so at the morning rush,
 * with many terminals sending at once, one commit for a dozen batches is most of the
 * difference between keeping up and falling behind. Nothing waits to be grouped: a batch is
 * stored on the next turn of the event loop, with whatever else came in on that turn, or, when
 * every transaction allowed is under way, with what came in meanwhile.
 *
 * Each batch still gets its own answer: when a group fails, its batches are stored again one
 * by one, so a batch the store refuses fails alone and the others are acked (unless the
 * database is away, which each would only be told again).
 */
export class TapWriter {
  readonly #store: BatchStore;
  readonly #log: Logger;
  readonly #maxTaps: number;
  readonly #inFlight: number;
  #waiting: Waiting[] = [];
  #running = 0;
  #scheduled: NodeJS.Immediate | null = null;

  constructor(store: BatchStore, log: Logger, options: TapWriterOptions = {}) {
    this.#store = store;
    this.#log = log;
    this.#maxTaps = options.maxTaps ?? 1_000;
    this.#inFlight = options.inFlight ?? 1;
  }

  /** Resolves once the batch is committed (with the others of its group), or rejects when it could not be. */
  store(terminal: BatchTerminal, batch: TapBatch): Promise<StoredBatch> {
    return new Promise<StoredBatch>((resolve, reject) => {
      this.#waiting.push({ terminal, batch, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * The next group goes on a later turn of the event loop, never straight after the last: SQLite
   * answers at once, and groups run back to back would hold the thread, and every ack already
   * published, until the last was stored.
   */
  #schedule(): void {
    if (this.#scheduled !== null || this.#waiting.length === 0 || this.#running >= this.#inFlight) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = null;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#running < this.#inFlight) {
      const group = this.#takeGroup();
      this.#running++;
      void this.#write(group).finally(() => {
        this.#running--;
        this.#schedule();
      });
    }
  }

  /** The oldest waiting batches, up to maxTaps in all (always at least one, however large). */
  #takeGroup(): Waiting[] {
    let taps = 0;
    let count = 0;
    for (const waiting of this.#waiting) {
      if (count > 0 && taps + waiting.batch.taps.length > this.#maxTaps) break;
      taps += waiting.batch.taps.length;
      count++;
    }
    return this.#waiting.splice(0, count);
  }

  async #write(group: Waiting[]): Promise<void> {
    if (group.length === 1) return this.#writeAlone(group[0] as Waiting);
    let stored: StoredBatch[];
    try {
      stored = await this.#store.storeBatches(group.map(({ terminal, batch }) => ({ terminal, batch })));
    } catch (error) {
      // A database that is away refuses each alike: every batch of the group is told at once.
      if (isStoreError(error) && error.code === 'unavailable') {
        for (const waiting of group) waiting.reject(error);
        return;
      }
      this.#log.warn(
        { err: error, batches: group.length },
        'a group of batches could not be stored; storing each alone',
      );
      for (const waiting of group) await this.#writeAlone(waiting);
      return;
    }
    for (const [i, waiting] of group.entries()) waiting.resolve(stored[i] as StoredBatch);
  }

  async #writeAlone(waiting: Waiting): Promise<void> {
    try {
      waiting.resolve(await this.#store.storeBatch(waiting.terminal, waiting.batch));
    } catch (error) {
      waiting.reject(error);
    }
  }
}
