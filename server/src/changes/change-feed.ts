import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Eventually } from '../store/server-stores.js';
import type { Change, ChangeFeedStore } from './change-feed-store.js';

/** How long a change stays in the feed: far longer than any server takes to read it. */
const KEEP_MS = 10 * 60_000;

/**
 * Live pages across several servers on one database: each server notes the changes it makes
 * (taps stored, a terminal's status, records built) in the database, and follows the others',
 * emitting `change` for each so its own live pages refresh. This one reads the feed's table
 * every `pollMs` (SQLite); on PostgreSQL, NotifiedChangeFeed does the same by LISTEN/NOTIFY.
 */
export class ChangeFeed extends EventEmitter<{ change: [Change] }> {
  readonly #store: Eventually<ChangeFeedStore>;
  readonly #serverId: string;
  readonly #pollMs: number;
  readonly #log: Logger;
  readonly #now: () => Date;
  #last = 0;
  #timer: NodeJS.Timeout | null = null;
  #reading = false;
  #prunedAt = 0;

  constructor(deps: {
    store: Eventually<ChangeFeedStore>;
    serverId: string;
    pollMs?: number;
    log: Logger;
    now: () => Date;
  }) {
    super();
    this.#store = deps.store;
    this.#serverId = deps.serverId;
    this.#pollMs = deps.pollMs ?? 1_000;
    this.#log = deps.log;
    this.#now = deps.now;
  }

  async start(): Promise<void> {
    this.#last = await this.#store.last();
    this.#timer = setInterval(() => void this.#read(), this.#pollMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Tells the other servers; a failure costs their pages one refresh, never this server's work. */
  publish(change: Change): void {
    Promise.resolve()
      .then(() => this.#store.note(this.#serverId, change))
      .catch((error: unknown) => this.#log.warn({ err: error }, 'could not note a change for the other servers'));
  }

  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      for (;;) {
        const changes = await this.#store.since(this.#last, this.#serverId, 500);
        for (const { id, change } of changes) {
          this.#last = id;
          this.emit('change', change);
        }
        if (changes.length < 500) break;
      }
      const now = this.#now().getTime();
      if (now - this.#prunedAt > 60_000) {
        this.#prunedAt = now;
        await this.#store.prune(new Date(now - KEEP_MS).toISOString());
      }
    } catch (error) {
      this.#log.warn({ err: error }, 'could not read the other servers’ changes');
    } finally {
      this.#reading = false;
    }
  }
}
