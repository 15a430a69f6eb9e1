import type { SiteId } from '@ccus-gate/protocol';
import type { Logger } from 'pino';

/**
 * Tells a site's terminals who is on site after its records change, at most once per `delayMs`
 * per burst: at the morning gate a snapshot per tap would be hundreds a minute, each the size of
 * the site's crowd, for a difference no one at the gate can see in a quarter of a second.
 */
export class PresencePublisher {
  readonly #publish: (siteId: SiteId) => Promise<void>;
  readonly #log: Logger;
  readonly #delayMs: number;
  readonly #due = new Set<SiteId>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(publish: (siteId: SiteId) => Promise<void>, log: Logger, delayMs = 250) {
    this.#publish = publish;
    this.#log = log;
    this.#delayMs = delayMs;
  }

  note(siteIds: Iterable<SiteId>): void {
    if (this.#stopped) return;
    for (const siteId of siteIds) this.#due.add(siteId);
    if (this.#timer === null && this.#due.size > 0) {
      this.#timer = setTimeout(() => void this.#flush(), this.#delayMs);
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #flush(): Promise<void> {
    const sites = [...this.#due];
    this.#due.clear();
    for (const siteId of sites) {
      try {
        await this.#publish(siteId);
      } catch (error) {
        // The next change at the site sends a newer snapshot; terminals keep their own taps meanwhile.
        this.#log.warn({ err: error, siteId }, 'could not publish who is on site');
      }
    }
    this.#timer = null;
    if (this.#due.size > 0 && !this.#stopped) this.#timer = setTimeout(() => void this.#flush(), this.#delayMs);
  }
}
