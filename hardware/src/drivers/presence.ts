import type { CardDetails, CardTech } from '../reader.js';

export interface SeenCard {
  tech: CardTech;
  id: string;
  details: CardDetails;
}

export type PresenceChange =
  | { kind: 'card'; card: SeenCard }
  | { kind: 'removed'; card: { tech: CardTech; id: string } };

/**
 * Turns poll results into presentations: a card left on the reader is one presentation; it
 * ends after `removalPolls` polls of its technology without it. Shared by every polling driver.
 */
export class PresenceTracker {
  readonly #removalPolls: number;
  #present: { tech: CardTech; id: string; misses: number } | null = null;

  constructor(removalPolls: number) {
    this.#removalPolls = removalPolls;
  }

  /** One poll of `tech`: the card it found, or null. Returns what changed, in order. */
  observe(tech: CardTech, card: SeenCard | null): PresenceChange[] {
    const present = this.#present;
    if (card !== null) {
      if (present !== null && present.id === card.id && present.tech === card.tech) {
        present.misses = 0;
        return [];
      }
      this.#present = { tech: card.tech, id: card.id, misses: 0 };
      const changes: PresenceChange[] = [];
      if (present !== null) changes.push({ kind: 'removed', card: { tech: present.tech, id: present.id } });
      changes.push({ kind: 'card', card });
      return changes;
    }
    if (present !== null && present.tech === tech && ++present.misses >= this.#removalPolls) {
      this.#present = null;
      return [{ kind: 'removed', card: { tech: present.tech, id: present.id } }];
    }
    return [];
  }
}
