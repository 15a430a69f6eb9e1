import type { CardRef, WorkerId } from '@ccus-gate/protocol';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, mapRows, type Work } from './engine/work.js';
import { StoreError } from './store-error.js';
import type { TenantScope } from './tenant-scope.js';
import { WorkerBooks } from './worker-books.js';

/**
 * Workers' cards, on each tenant's own books: a card bound by one tenant resolves taps only at
 * the sites that tenant sees, and another tenant's card is as absent as one never bound.
 */
export abstract class WorkerCards<E extends StoreEngine = StoreEngine> extends WorkerBooks<E> {
  /**
   * Binds a card to a worker on the tenant's books (`scope`; without one, the only tenant that
   * has the worker), bumps the roster of every site the worker is on, and gives the card's
   * unresolved taps at the sites the tenant sees to the worker, queueing their records. Returns
   * the sites whose roster changed and how many taps were resolved.
   */
  addCard(
    card: CardRef,
    workerId: WorkerId,
    scope?: TenantScope,
  ): Answer<E, { sites: string[]; resolvedTaps: number }> {
    return this.transaction(() => this.addCardWork(card, workerId, scope));
  }

  /** As addCard, a step of a larger work (a correction binding an unknown card). */
  *addCardWork(
    card: CardRef,
    workerId: WorkerId,
    scope?: TenantScope,
  ): Work<{ sites: string[]; resolvedTaps: number }> {
    if (card.tech === 'qr') {
      throw new StoreError('invalid', `a QR code names its worker (${card.id}); only a card is bound`, 'card');
    }
    const tenantId =
      scope === undefined ? yield* this.#onlyTenantOf(workerId) : (yield* this.ownWorker(scope, workerId)).tenant_id;
    const owner = yield* firstRow(
      this.db
        .selectFrom('cards')
        .select('worker_id')
        .where('tenant_id', '=', tenantId)
        .where('tech', '=', card.tech)
        .where('card_id', '=', card.id),
    );
    if (owner !== undefined) {
      throw new StoreError(
        'conflict',
        owner.worker_id === workerId
          ? `card ${card.tech}:${card.id} is already this worker's`
          : `card ${card.tech}:${card.id} belongs to another of this tenant's workers`,
        'card',
      );
    }
    yield* execute(
      this.db
        .insertInto('cards')
        .values({ tenant_id: tenantId, tech: card.tech, card_id: card.id, worker_id: workerId }),
    );
    const sites = yield* this.rosterSites(tenantId, workerId);
    for (const siteId of sites) yield* this.bumpRoster(siteId);
    const resolvedTaps = scope === undefined ? 0 : yield* this.resolveTaps(scope, card.tech, card.id, workerId);
    return { sites, resolvedTaps };
  }

  /** For the server's own seeding (demo, tests): the one tenant whose books hold the worker. */
  *#onlyTenantOf(workerId: string): Work<string> {
    const tenants = yield* mapRows(
      this.db.selectFrom('workers').select('tenant_id').where('worker_id', '=', workerId),
      (row) => row.tenant_id,
    );
    if (tenants.length !== 1) {
      throw new StoreError(
        'invalid',
        `worker ${workerId} is on ${tenants.length} tenants' books: say whose`,
        'workerId',
      );
    }
    return tenants[0] as string;
  }

  removeCard(scope: TenantScope, card: CardRef): Answer<E, string[]> {
    const self = this;
    const db = this.db;
    return this.transaction(function* () {
      const row = yield* firstRow(
        db
          .selectFrom('cards')
          .select('worker_id')
          .where('tenant_id', '=', scope.tenantId)
          .where('tech', '=', card.tech)
          .where('card_id', '=', card.id),
      );
      // Another tenant's card is as invisible here as one that does not exist, and so is its holder.
      if (row === undefined) {
        throw new StoreError('not_found', `no card ${card.tech}:${card.id} held by this tenant's workers`, 'card');
      }
      yield* execute(
        db
          .deleteFrom('cards')
          .where('tenant_id', '=', scope.tenantId)
          .where('tech', '=', card.tech)
          .where('card_id', '=', card.id),
      );
      const sites = yield* self.rosterSites(scope.tenantId, row.worker_id);
      for (const siteId of sites) yield* self.bumpRoster(siteId);
      return sites;
    });
  }
}
