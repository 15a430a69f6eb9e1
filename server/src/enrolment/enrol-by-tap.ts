import type { TerminalId } from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import type { ServerStores } from '../store/server-stores.js';

/** How long a request waits for its tap unless the caller says otherwise. */
export const ENROL_WINDOW_MS = 2 * 60_000;

/**
 * "Bind the next tap at terminal X": after each batch a terminal delivers, a waiting request
 * for that terminal takes the first unknown card tapped there since it was made, binds it
 * to the worker (an audited correction, as binding by hand is), and is done. The terminal
 * then gets a roster with the card, and the worker's taps with it become their records.
 */
export class EnrolByTap {
  readonly #stores: Pick<ServerStores, 'enrolments' | 'corrections'>;
  readonly #log: Logger;
  readonly #effects: { rosterChanged(siteIds: readonly string[]): void; recordsQueued(): void };
  /** One check at a time per terminal: two batches in a row must not bind twice. */
  readonly #lanes = new Map<string, Promise<void>>();

  constructor(deps: {
    stores: Pick<ServerStores, 'enrolments' | 'corrections'>;
    log: Logger;
    effects: { rosterChanged(siteIds: readonly string[]): void; recordsQueued(): void };
  }) {
    this.#stores = deps.stores;
    this.#log = deps.log;
    this.#effects = deps.effects;
  }

  onBatch(terminalId: TerminalId): Promise<void> {
    const next = (this.#lanes.get(terminalId) ?? Promise.resolve()).then(() => this.#bind(terminalId));
    this.#lanes.set(terminalId, next);
    void next.finally(() => {
      if (this.#lanes.get(terminalId) === next) this.#lanes.delete(terminalId);
    });
    return next;
  }

  async #bind(terminalId: TerminalId): Promise<void> {
    try {
      const due = await this.#stores.enrolments.due(terminalId);
      if (due === null) return;
      const { enrolment, card } = due;
      try {
        const bound = await this.#stores.corrections.bindCard(
          enrolment.actor,
          card,
          enrolment.workerId,
          `enrolled by a tap at terminal ${terminalId}`,
        );
        this.#effects.rosterChanged(bound.sites);
        this.#effects.recordsQueued();
        this.#log.info({ terminalId, workerId: enrolment.workerId, card }, 'card enrolled by a tap');
      } catch (error) {
        // A card bound meanwhile by hand, or a worker removed: the request is over either way.
        this.#log.warn({ err: error, terminalId, workerId: enrolment.workerId }, 'enrolment by tap failed');
      } finally {
        await this.#stores.enrolments.finish(terminalId);
      }
    } catch (error) {
      this.#log.error({ err: error, terminalId }, 'enrolment check failed');
    }
  }
}
