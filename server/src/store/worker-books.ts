import type { CardRef, WorkerId } from '@ccus-gate/protocol';
import { sql } from 'kysely';
import { queueRecords, queueWorkerRecords } from '../records/record-queue.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, mapRows, pageLimit, refusing, rows, type Work } from './engine/work.js';
import { ownWorkerEntry, requireOwnWorker } from './own-worker.js';
import { SiteBooks } from './site-books.js';
import { StoreError } from './store-error.js';
import { type TenantScope, visibleSites, workerInScope } from './tenant-scope.js';

/**
 * 立場 on a site: 職長 foreman, 班長 leader, 安全衛生責任者 safety manager, 主任技術者 chief
 * engineer, 監理技術者 supervising engineer, 現場代理人 site agent; null for none.
 */
export const POSITIONS = [
  'foreman',
  'leader',
  'safety_manager',
  'chief_engineer',
  'supervising_engineer',
  'site_agent',
] as const;
export type Position = (typeof POSITIONS)[number];
export type { SiteAccess } from './site-books.js';

export interface Worker {
  workerId: string;
  name: string;
  employerCompanyId: string;
  /** The trades (職種) the worker is registered for in CCUS, at most four. */
  trades: string[];
  /** The first of `trades`, for clients from before a worker could have several. */
  trade: string | null;
  position: Position | null;
  cards: CardRef[];
}

/** A worker's row as the schema types it. */
export interface WorkerRow {
  worker_id: string;
  tenant_id: string;
  name: string;
  employer_company_id: string | null;
  trade: string | null;
  trades: string;
  position: string | null;
}

type NewWorker = {
  workerId: WorkerId;
  tenantId: string;
  name: string;
  employerCompanyId?: string;
  trades?: string[];
  /** One trade, as before a worker could have several. */
  trade?: string | null;
  position?: Position | null;
};

type WorkerChange = {
  name?: string;
  employerCompanyId?: string;
  trades?: string[];
  trade?: string | null;
  position?: Position | null;
};

/**
 * With `visible` and `workers w`: the worker has a place on the roster of a site the scope
 * sees, drawn from the books that hold that entry, and is the scope's to see there.
 */
const onVisibleRoster = (scope: TenantScope) =>
  sql<boolean>`EXISTS (SELECT 1 FROM site_roster r JOIN visible v ON v.site_id = r.site_id
    WHERE r.worker_id = w.worker_id AND r.tenant_id = w.tenant_id AND ${workerInScope(scope)})`;

/** How many worker IDs one `IN (...)` list carries: well inside both engines' limits on parameters. */
const CHUNK = 500;

/**
 * Each tenant's own books of workers and their cards, and the site rosters that draw on them.
 * The same CCUS worker ID may be on two tenants' books (a worker who works for both); a card
 * bound by one tenant resolves taps only at the sites that tenant sees. Nothing here tells one
 * tenant what another has: another tenant's worker or card is as absent as one never registered.
 */
export abstract class WorkerBooks<E extends StoreEngine = StoreEngine> extends SiteBooks<E> {
  addWorker(worker: NewWorker): Answer<E, void> {
    return this.transaction(() => this.#addWorker(worker));
  }

  *#addWorker(worker: NewWorker): Work<void> {
    const trades = worker.trades ?? (worker.trade == null ? [] : [worker.trade]);
    const tenant = yield* firstRow(
      this.db.selectFrom('tenants').select('company_id').where('tenant_id', '=', worker.tenantId),
    );
    if (tenant === undefined) {
      throw new StoreError(
        'invalid',
        `worker ${worker.workerId} on this tenant's books refers to something that does not exist`,
        'workerId',
      );
    }
    yield* refusing(
      this.db.insertInto('workers').values({
        worker_id: worker.workerId,
        tenant_id: worker.tenantId,
        name: worker.name,
        employer_company_id: worker.employerCompanyId ?? tenant.company_id,
        trade: trades[0] ?? null,
        trades: JSON.stringify(trades),
        position: worker.position ?? null,
      }),
      `worker ${worker.workerId} on this tenant's books`,
      'workerId',
    );
    // A worker's QR code scanned before they were on the books: those taps at the sites the
    // tenant sees become theirs now, as a card's do when it is bound, and their records are queued.
    yield* this.resolveTaps(
      { tenantId: worker.tenantId, companyId: tenant.company_id },
      'qr',
      worker.workerId,
      worker.workerId,
    );
  }

  /**
   * The workers on the tenant's own books, and (for a prime) those other tenants placed on its
   * sites' rosters; the tenant's own entry wins where both have one.
   */
  workers(scope: TenantScope, filter: { limit: number; offset: number }): Answer<E, Worker[]> {
    const query = this.db
      .with('visible', visibleSites(scope))
      .selectFrom('workers as w')
      .selectAll('w')
      .where((eb) =>
        eb.or([
          eb('w.tenant_id', '=', scope.tenantId),
          eb.and([
            onVisibleRoster(scope),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('workers as own')
                  .select(sql.lit(1).as('one'))
                  .where('own.tenant_id', '=', scope.tenantId)
                  .whereRef('own.worker_id', '=', 'w.worker_id'),
              ),
            ),
          ]),
        ]),
      )
      .orderBy('w.worker_id')
      .orderBy('w.tenant_id')
      .limit(pageLimit(filter.limit))
      .offset(filter.offset);
    const self = this;
    return this.run(
      (function* () {
        return yield* self.#workers(yield* rows(query));
      })(),
    );
  }

  worker(scope: TenantScope, workerId: string): Answer<E, Worker> {
    return this.run(this.workerWork(scope, workerId));
  }

  /** As worker, a step of a larger work. */
  *workerWork(scope: TenantScope, workerId: string): Work<Worker> {
    const row = yield* this.visibleWorker(scope, workerId);
    if (row === undefined) throw new StoreError('not_found', `no worker ${workerId}`, 'workerId');
    const [worker] = yield* this.#workers([row]);
    return worker as Worker;
  }

  /** The tenant's own entries among these worker IDs (an import compares against them). */
  ownWorkers(scope: TenantScope, workerIds: readonly string[]): Answer<E, Worker[]> {
    const self = this;
    return this.run(
      (function* () {
        const found: Worker[] = [];
        for (let i = 0; i < workerIds.length; i += CHUNK) {
          const chunk = workerIds.slice(i, i + CHUNK);
          const own = yield* rows(
            self.db
              .selectFrom('workers')
              .selectAll()
              .where('tenant_id', '=', scope.tenantId)
              .where('worker_id', 'in', chunk),
          );
          found.push(...(yield* self.#workers(own)));
        }
        const order = new Map(workerIds.map((id, i) => [id, i]));
        return found.sort((a, b) => (order.get(a.workerId) ?? 0) - (order.get(b.workerId) ?? 0));
      })(),
    );
  }

  /** Adds and changes many of the tenant's own workers at once, all or nothing (an import). */
  importWorkers(
    scope: TenantScope,
    plan: {
      create: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId?: string }[];
      update: { workerId: string; name: string; trades: string[]; employerCompanyId?: string }[];
    },
  ): Answer<E, void> {
    return this.transaction(() => this.importWorkersWork(scope, plan));
  }

  protected *importWorkersWork(
    scope: TenantScope,
    plan: {
      create: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId?: string }[];
      update: { workerId: string; name: string; trades: string[]; employerCompanyId?: string }[];
    },
  ): Work<void> {
    for (const worker of plan.create) yield* this.#addWorker({ ...worker, tenantId: scope.tenantId });
    for (const { workerId, ...change } of plan.update) yield* this.#updateWorker(scope, workerId, change);
  }

  /** The tenant's own entry for the worker, else one on a roster of a site it sees. */
  protected *visibleWorker(scope: TenantScope, workerId: string): Work<WorkerRow | undefined> {
    // The tenant's own entry first, by its key: the common case, and a roster load asks 25,000 times.
    const own = yield* ownWorkerEntry(this.engine, scope.tenantId, workerId);
    if (own !== undefined) return own;
    return yield* firstRow(
      this.db
        .with('visible', visibleSites(scope))
        .selectFrom('workers as w')
        .selectAll('w')
        .where('w.worker_id', '=', workerId)
        .where(onVisibleRoster(scope))
        .orderBy('w.tenant_id')
        .limit(1),
    );
  }

  /** Only the tenant whose books hold a worker changes or removes them. */
  protected *ownWorker(scope: TenantScope, workerId: string): Work<WorkerRow> {
    return yield* requireOwnWorker(this.engine, scope.tenantId, workerId);
  }

  /** The workers with their cards, read in one query. */
  *#workers(found: readonly WorkerRow[]): Work<Worker[]> {
    if (found.length === 0) return [];
    const cards = yield* rows(
      this.db
        .selectFrom('cards')
        .select(['tenant_id', 'worker_id', 'tech', 'card_id'])
        .where('tenant_id', 'in', [...new Set(found.map((row) => row.tenant_id))])
        .where('worker_id', 'in', [...new Set(found.map((row) => row.worker_id))])
        .orderBy('tech')
        .orderBy('card_id'),
    );
    return found.map((row) => ({
      workerId: row.worker_id,
      name: row.name,
      employerCompanyId: row.employer_company_id as string,
      trades: JSON.parse(row.trades) as string[],
      trade: row.trade,
      position: row.position as Position | null,
      cards: cards
        .filter((c) => c.tenant_id === row.tenant_id && c.worker_id === row.worker_id)
        .map((c) => ({ tech: c.tech, id: c.card_id }) as CardRef),
    }));
  }

  updateWorker(scope: TenantScope, workerId: string, change: WorkerChange): Answer<E, void> {
    return this.transaction(() => this.#updateWorker(scope, workerId, change));
  }

  *#updateWorker(scope: TenantScope, workerId: string, change: WorkerChange): Work<void> {
    const current = yield* this.ownWorker(scope, workerId);
    const trades =
      change.trades ??
      (change.trade === undefined
        ? (JSON.parse(current.trades) as string[])
        : change.trade === null
          ? []
          : [change.trade]);
    yield* execute(
      this.db
        .updateTable('workers')
        .set({
          name: change.name ?? current.name,
          employer_company_id: change.employerCompanyId ?? current.employer_company_id,
          trade: trades[0] ?? null,
          trades: JSON.stringify(trades),
          position: change.position === undefined ? current.position : change.position,
        })
        .where('tenant_id', '=', scope.tenantId)
        .where('worker_id', '=', workerId),
    );
    // A record may take its trade from the worker's one registered trade.
    for (const siteId of yield* this.rosterSites(scope.tenantId, workerId)) {
      yield* queueWorkerRecords(this.engine, siteId, workerId);
    }
  }

  /** Removes a worker, their cards and roster places; their taps and records stay. Returns the sites whose roster changed. */
  removeWorker(scope: TenantScope, workerId: string): Answer<E, string[]> {
    const self = this;
    const db = this.db;
    return this.transaction(function* () {
      yield* self.ownWorker(scope, workerId);
      const sites = yield* self.rosterSites(scope.tenantId, workerId);
      yield* execute(db.deleteFrom('cards').where('tenant_id', '=', scope.tenantId).where('worker_id', '=', workerId));
      yield* execute(
        db.deleteFrom('site_roster').where('tenant_id', '=', scope.tenantId).where('worker_id', '=', workerId),
      );
      yield* execute(
        db.deleteFrom('workers').where('tenant_id', '=', scope.tenantId).where('worker_id', '=', workerId),
      );
      for (const siteId of sites) yield* self.bumpRoster(siteId);
      return sites;
    });
  }

  /** The card's (or QR code's) unresolved taps at the sites the scope sees become the worker's; their records are queued. */
  protected *resolveTaps(scope: TenantScope, tech: string, cardId: string, workerId: string): Work<number> {
    const resolved = yield* rows(
      this.db
        .with('visible', visibleSites(scope))
        .updateTable('taps')
        .set({ worker_id: workerId })
        .where('tech', '=', tech)
        .where('card_id', '=', cardId)
        .where('worker_id', 'is', null)
        .where('site_id', 'in', (eb) => eb.selectFrom('visible').select('visible.site_id'))
        .returning(['site_id', 'working_day']),
    );
    yield* queueRecords(
      this.engine,
      resolved.map((row) => ({ siteId: row.site_id as string, workerId, workingDay: row.working_day as string })),
    );
    return resolved.length;
  }

  protected *rosterSites(tenantId: string, workerId: string): Work<string[]> {
    return yield* mapRows(
      this.db
        .selectFrom('site_roster')
        .select('site_id')
        .where('tenant_id', '=', tenantId)
        .where('worker_id', '=', workerId),
      (row) => row.site_id,
    );
  }
}
