import type { CardRef, WorkerId } from '@ccus-gate/protocol';
import { queueRecords, queueWorkerRecords } from '../records/record-queue.js';
import { SiteBooks } from './site-books.js';
import type { SqliteDb } from './sqlite-db.js';
import { fromSqlite, StoreError } from './store-error.js';
import { scoped, type TenantScope, VISIBLE_SITES, WORKER_IN_SCOPE } from './tenant-scope.js';

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

export interface WorkerRow {
  worker_id: string;
  tenant_id: string;
  name: string;
  employer_company_id: string;
  trade: string | null;
  trades: string;
  position: Position | null;
}

/**
 * Each tenant's own books of workers and their cards, and the site rosters that draw on them.
 * The same CCUS worker ID may be on two tenants' books (a worker who works for both); a card
 * bound by one tenant resolves taps only at the sites that tenant sees. Nothing here tells one
 * tenant what another has: another tenant's worker or card is as absent as one never registered.
 */
export abstract class WorkerBooks extends SiteBooks {
  protected constructor(db: SqliteDb) {
    super(db);
  }

  addWorker(worker: {
    workerId: WorkerId;
    tenantId: string;
    name: string;
    employerCompanyId?: string;
    trades?: string[];
    /** One trade, as before a worker could have several. */
    trade?: string | null;
    position?: Position | null;
  }): void {
    const trades = worker.trades ?? (worker.trade == null ? [] : [worker.trade]);
    try {
      this.db.transaction(() => {
        this.#insertWorker(worker, trades);
        this.#resolveQrTaps(worker.tenantId, worker.workerId);
      });
    } catch (error) {
      throw fromSqlite(error, `worker ${worker.workerId} on this tenant's books`, 'workerId');
    }
  }

  #insertWorker(worker: Parameters<WorkerBooks['addWorker']>[0], trades: string[]): void {
    this.db
      .sql(
        `INSERT INTO workers (worker_id, tenant_id, name, employer_company_id, trade, trades, position)
           VALUES (?, ?, ?, coalesce(?, (SELECT company_id FROM tenants WHERE tenant_id = ?)), ?, ?, ?)`,
      )
      .run(
        worker.workerId,
        worker.tenantId,
        worker.name,
        worker.employerCompanyId ?? null,
        worker.tenantId,
        trades[0] ?? null,
        JSON.stringify(trades),
        worker.position ?? null,
      );
  }

  /**
   * A worker's QR code scanned before they were on the books: those taps at the sites the
   * tenant sees become theirs now, as a card's do when it is bound, and their records are queued.
   */
  #resolveQrTaps(tenantId: string, workerId: WorkerId): void {
    const scope = this.db
      .sql('SELECT tenant_id AS tenantId, company_id AS companyId FROM tenants WHERE tenant_id = ?')
      .get(tenantId) as TenantScope | undefined;
    if (scope === undefined) return;
    const resolved = this.db
      .sql(
        `WITH ${VISIBLE_SITES}
         UPDATE taps SET worker_id = @workerId
           WHERE tech = 'qr' AND card_id = @workerId AND worker_id IS NULL
             AND site_id IN (SELECT site_id FROM visible)
         RETURNING site_id, working_day`,
      )
      .all({ ...scoped(scope), workerId }) as { site_id: string; working_day: string }[];
    this.db.engine.run(
      queueRecords(
        this.db.engine,
        resolved.map((row) => ({ siteId: row.site_id, workerId, workingDay: row.working_day })),
      ),
    );
  }

  /**
   * The workers on the tenant's own books, and (for a prime) those other tenants placed on its
   * sites' rosters; the tenant's own entry wins where both have one.
   */
  workers(scope: TenantScope, filter: { limit: number; offset: number }): Worker[] {
    const rows = this.db
      .sql(
        `WITH ${VISIBLE_SITES}
         SELECT w.* FROM workers w WHERE w.tenant_id = @tenantId OR (
           EXISTS (SELECT 1 FROM site_roster r JOIN visible v USING (site_id)
             WHERE r.worker_id = w.worker_id AND r.tenant_id = w.tenant_id AND ${WORKER_IN_SCOPE})
           AND NOT EXISTS (SELECT 1 FROM workers own WHERE own.tenant_id = @tenantId AND own.worker_id = w.worker_id))
         ORDER BY w.worker_id, w.tenant_id LIMIT @limit OFFSET @offset`,
      )
      .all({ ...scoped(scope), ...filter }) as WorkerRow[];
    return rows.map((row) => this.#worker(row));
  }

  worker(scope: TenantScope, workerId: string): Worker {
    const row = this.visibleWorker(scope, workerId);
    if (row === undefined) throw new StoreError('not_found', `no worker ${workerId}`, 'workerId');
    return this.#worker(row);
  }

  /** The tenant's own entry for the worker, else one on a roster of a site it sees. */
  /** The tenant's own entries among these worker IDs (an import compares against them). */
  ownWorkers(scope: TenantScope, workerIds: readonly string[]): Worker[] {
    const found: Worker[] = [];
    const one = this.db.sql('SELECT * FROM workers WHERE tenant_id = ? AND worker_id = ?');
    for (const workerId of workerIds) {
      const row = one.get(scope.tenantId, workerId) as WorkerRow | undefined;
      if (row !== undefined) found.push(this.#worker(row));
    }
    return found;
  }

  /** Adds and changes many of the tenant's own workers at once, all or nothing (an import). */
  importWorkers(
    scope: TenantScope,
    plan: {
      create: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId?: string }[];
      update: { workerId: string; name: string; trades: string[]; employerCompanyId?: string }[];
    },
  ): void {
    this.db.transaction(() => {
      for (const worker of plan.create) this.addWorker({ ...worker, tenantId: scope.tenantId });
      for (const { workerId, ...change } of plan.update) this.updateWorker(scope, workerId, change);
    });
  }

  protected visibleWorker(scope: TenantScope, workerId: string): WorkerRow | undefined {
    // The tenant's own entry first, by its key: the common case, and a roster load asks 25,000 times.
    const own = this.db
      .sql('SELECT * FROM workers WHERE tenant_id = ? AND worker_id = ?')
      .get(scope.tenantId, workerId) as WorkerRow | undefined;
    if (own !== undefined) return own;
    return this.db
      .sql(
        `WITH ${VISIBLE_SITES}
         SELECT w.* FROM workers w WHERE w.worker_id = @workerId AND EXISTS (
           SELECT 1 FROM site_roster r JOIN visible v USING (site_id)
             WHERE r.worker_id = w.worker_id AND r.tenant_id = w.tenant_id AND ${WORKER_IN_SCOPE})
         ORDER BY w.tenant_id LIMIT 1`,
      )
      .get({ ...scoped(scope), workerId }) as WorkerRow | undefined;
  }

  /** Only the tenant whose books hold a worker changes or removes them. */
  #ownWorker(scope: TenantScope, workerId: string): WorkerRow {
    const row = this.db
      .sql('SELECT * FROM workers WHERE tenant_id = ? AND worker_id = ?')
      .get(scope.tenantId, workerId) as WorkerRow | undefined;
    if (row === undefined) {
      throw new StoreError('not_found', `no worker ${workerId} registered by this tenant`, 'workerId');
    }
    return row;
  }

  #worker(row: WorkerRow): Worker {
    const cards = (
      this.db
        .sql('SELECT tech, card_id FROM cards WHERE tenant_id = ? AND worker_id = ? ORDER BY tech, card_id')
        .all(row.tenant_id, row.worker_id) as { tech: CardRef['tech']; card_id: string }[]
    ).map((c) => ({ tech: c.tech, id: c.card_id }) as CardRef);
    return {
      workerId: row.worker_id,
      name: row.name,
      employerCompanyId: row.employer_company_id,
      trades: JSON.parse(row.trades) as string[],
      trade: row.trade,
      position: row.position,
      cards,
    };
  }

  updateWorker(
    scope: TenantScope,
    workerId: string,
    change: {
      name?: string;
      employerCompanyId?: string;
      trades?: string[];
      trade?: string | null;
      position?: Position | null;
    },
  ): void {
    const current = this.#ownWorker(scope, workerId);
    const trades =
      change.trades ??
      (change.trade === undefined
        ? (JSON.parse(current.trades) as string[])
        : change.trade === null
          ? []
          : [change.trade]);
    this.db.transaction(() => {
      this.db
        .sql(
          `UPDATE workers SET name = ?, employer_company_id = ?, trade = ?, trades = ?, position = ?
             WHERE tenant_id = ? AND worker_id = ?`,
        )
        .run(
          change.name ?? current.name,
          change.employerCompanyId ?? current.employer_company_id,
          trades[0] ?? null,
          JSON.stringify(trades),
          change.position === undefined ? current.position : change.position,
          scope.tenantId,
          workerId,
        );
      // A record may take its trade from the worker's one registered trade.
      for (const siteId of this.#rosterSites(scope.tenantId, workerId))
        this.db.engine.run(queueWorkerRecords(this.db.engine, siteId, workerId));
    });
  }

  /** Removes a worker, their cards and roster places; their taps and records stay. Returns the sites whose roster changed. */
  removeWorker(scope: TenantScope, workerId: string): string[] {
    this.#ownWorker(scope, workerId);
    return this.db.transaction(() => {
      const sites = this.#rosterSites(scope.tenantId, workerId);
      this.db.sql('DELETE FROM cards WHERE tenant_id = ? AND worker_id = ?').run(scope.tenantId, workerId);
      this.db.sql('DELETE FROM site_roster WHERE tenant_id = ? AND worker_id = ?').run(scope.tenantId, workerId);
      this.db.sql('DELETE FROM workers WHERE tenant_id = ? AND worker_id = ?').run(scope.tenantId, workerId);
      for (const siteId of sites) this.bumpRoster(siteId);
      return sites;
    });
  }

  /**
   * Binds a card to a worker on the tenant's books (`scope`; without one, the only tenant that
   * has the worker), bumps the roster of every site the worker is on, and gives the card's
   * unresolved taps at the sites the tenant sees to the worker, queueing their records. Returns
   * the sites whose roster changed and how many taps were resolved.
   */
  addCard(card: CardRef, workerId: WorkerId, scope?: TenantScope): { sites: string[]; resolvedTaps: number } {
    if (card.tech === 'qr') {
      throw new StoreError('invalid', `a QR code names its worker (${card.id}); only a card is bound`, 'card');
    }
    return this.db.transaction(() => {
      const tenantId = scope === undefined ? this.#onlyTenantOf(workerId) : this.#ownWorker(scope, workerId).tenant_id;
      const owner = this.db
        .sql('SELECT worker_id FROM cards WHERE tenant_id = ? AND tech = ? AND card_id = ?')
        .get(tenantId, card.tech, card.id) as { worker_id: string } | undefined;
      if (owner !== undefined) {
        throw new StoreError(
          'conflict',
          owner.worker_id === workerId
            ? `card ${card.tech}:${card.id} is already this worker's`
            : `card ${card.tech}:${card.id} belongs to another of this tenant's workers`,
          'card',
        );
      }
      this.db
        .sql('INSERT INTO cards (tenant_id, tech, card_id, worker_id) VALUES (?, ?, ?, ?)')
        .run(tenantId, card.tech, card.id, workerId);
      const sites = this.#rosterSites(tenantId, workerId);
      for (const siteId of sites) this.bumpRoster(siteId);
      const resolvedTaps = scope === undefined ? 0 : this.#resolveCardTaps(scope, card, workerId);
      return { sites, resolvedTaps };
    });
  }

  /** For the server's own seeding (demo, tests): the one tenant whose books hold the worker. */
  #onlyTenantOf(workerId: string): string {
    const tenants = this.db.sql('SELECT tenant_id FROM workers WHERE worker_id = ?').pluck().all(workerId) as string[];
    if (tenants.length !== 1) {
      throw new StoreError(
        'invalid',
        `worker ${workerId} is on ${tenants.length} tenants' books: say whose`,
        'workerId',
      );
    }
    return tenants[0] as string;
  }

  #resolveCardTaps(scope: TenantScope, card: CardRef, workerId: string): number {
    const resolved = this.db
      .sql(
        `WITH ${VISIBLE_SITES}
         UPDATE taps SET worker_id = @workerId
           WHERE tech = @tech AND card_id = @cardId AND worker_id IS NULL
             AND site_id IN (SELECT site_id FROM visible)
         RETURNING site_id, working_day`,
      )
      .all({ ...scoped(scope), workerId, tech: card.tech, cardId: card.id }) as {
      site_id: string;
      working_day: string;
    }[];
    this.db.engine.run(
      queueRecords(
        this.db.engine,
        resolved.map((row) => ({ siteId: row.site_id, workerId, workingDay: row.working_day })),
      ),
    );
    return resolved.length;
  }

  removeCard(scope: TenantScope, card: CardRef): string[] {
    const row = this.db
      .sql('SELECT worker_id FROM cards WHERE tenant_id = ? AND tech = ? AND card_id = ?')
      .get(scope.tenantId, card.tech, card.id) as { worker_id: string } | undefined;
    // Another tenant's card is as invisible here as one that does not exist, and so is its holder.
    if (row === undefined) {
      throw new StoreError('not_found', `no card ${card.tech}:${card.id} held by this tenant's workers`, 'card');
    }
    return this.db.transaction(() => {
      this.db
        .sql('DELETE FROM cards WHERE tenant_id = ? AND tech = ? AND card_id = ?')
        .run(scope.tenantId, card.tech, card.id);
      const sites = this.#rosterSites(scope.tenantId, row.worker_id);
      for (const siteId of sites) this.bumpRoster(siteId);
      return sites;
    });
  }

  #rosterSites(tenantId: string, workerId: string): string[] {
    return this.db
      .sql('SELECT site_id FROM site_roster WHERE tenant_id = ? AND worker_id = ?')
      .pluck()
      .all(tenantId, workerId) as string[];
  }
}
