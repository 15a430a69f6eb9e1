import type { CardRef, Roster, SiteId, WorkerId } from '@ccus-gate/protocol';
import { sql } from 'kysely';
import { queueWorkerRecords } from '../records/record-queue.js';
import type { Answer, StoreEngine } from './engine/store-engine.js';
import { execute, firstRow, mapRows, mustChange, pageLimit, refusing, rows, type Work } from './engine/work.js';
import { StoreError } from './store-error.js';
import { type TenantScope, visibleSites, workerInScope } from './tenant-scope.js';
import type { Position, SiteAccess, WorkerRow } from './worker-books.js';
import { WorkerCards } from './worker-cards.js';

/** A worker's place on a site roster (作業員名簿): what they do there, as what, and when. */
export interface RosterPlace {
  /** 職種 on this site; null: the worker's one registered trade, if they have exactly one. */
  trade: string | null;
  position: Position | null;
  workContent: string | null;
  /** The days they are on the site (YYYY-MM-DD, inclusive); null: open. */
  periodFrom: string | null;
  periodUntil: string | null;
}

export interface RosterEntry extends RosterPlace {
  workerId: string;
  name: string;
  employerCompanyId: string;
  cards: number;
}

/** What a bulk roster load did. */
type RosterWrites = {
  create: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId: string }[];
  update: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId: string }[];
  places: (Partial<RosterPlace> & { workerId: WorkerId })[];
};

export interface RosterLoad {
  siteId: string;
  listed: number;
  added: number;
  changed: number;
  removed: number;
}

/**
 * The site rosters (作業員名簿), drawing on the tenants' books of workers: who may place whom,
 * one place or a whole roster at once, and what a terminal at the site is sent.
 */
export abstract class SiteRosters<E extends StoreEngine = StoreEngine> extends WorkerCards<E> {
  /**
   * Registers a worker on the site's roster (作業員名簿), or changes their place there. The
   * prime may place anyone on its own books or already on its rosters; a subcontractor only its
   * own employees. Without a scope (seeding), the worker comes from the site's prime, or from the
   * only tenant that has them.
   */
  addToRoster(
    siteId: SiteId,
    workerId: WorkerId,
    detail: Partial<RosterPlace> = {},
    scope?: TenantScope,
  ): Answer<E, void> {
    const self = this;
    return this.transaction(function* () {
      const worker =
        scope === undefined
          ? yield* self.#seedWorker(siteId, workerId)
          : yield* self.#mayRoster(scope, siteId, workerId);
      yield* self.#place(siteId, worker, detail, '');
      yield* self.bumpRoster(siteId);
    });
  }

  /**
   * Loads many places at once (an import of the whole 作業員名簿), in one transaction: all or
   * nothing, the first bad entry named by its index. The caller's own places not listed are
   * removed when `removeUnlisted` is set; other tenants' places are never touched.
   */
  loadRoster(
    scope: TenantScope,
    siteId: SiteId,
    entries: readonly (Partial<RosterPlace> & { workerId: WorkerId })[],
    options: { removeUnlisted?: boolean } = {},
  ): Answer<E, RosterLoad> {
    return this.transaction(() => this.#loadRoster(scope, siteId, entries, options));
  }

  *#loadRoster(
    scope: TenantScope,
    siteId: SiteId,
    entries: readonly (Partial<RosterPlace> & { workerId: WorkerId })[],
    options: { removeUnlisted?: boolean },
  ): Work<RosterLoad> {
    const access = yield* this.requireSiteWork(scope, siteId);
    const before = new Set(
      yield* mapRows(
        this.db
          .selectFrom('site_roster')
          .select('worker_id')
          .where('site_id', '=', siteId)
          .where('tenant_id', '=', scope.tenantId),
        (row) => row.worker_id,
      ),
    );
    const listed = new Set<string>();
    let added = 0;
    for (const [index, entry] of entries.entries()) {
      const at = `entries.${index}`;
      if (listed.has(entry.workerId)) {
        throw new StoreError('invalid', `${at}: worker ${entry.workerId} is listed twice`, `${at}.workerId`);
      }
      listed.add(entry.workerId);
      const worker = yield* this.#mayRosterWith(access, scope, entry.workerId, at);
      const { workerId: _, ...detail } = entry;
      yield* this.#place(siteId, worker, detail, `${at}: `);
      if (!before.has(entry.workerId)) added++;
    }
    let removed = 0;
    if (options.removeUnlisted === true) {
      for (const workerId of before) {
        if (listed.has(workerId)) continue;
        yield* execute(
          this.db
            .deleteFrom('site_roster')
            .where('site_id', '=', siteId)
            .where('tenant_id', '=', scope.tenantId)
            .where('worker_id', '=', workerId),
        );
        yield* queueWorkerRecords(this.engine, siteId, workerId);
        removed++;
      }
    }
    yield* this.bumpRoster(siteId);
    return { siteId, listed: entries.length, added, changed: entries.length - added, removed };
  }

  /**
   * Carries out an import of CCUS's roster (ccus/roster-import.ts decides what), all or nothing:
   * workers created or changed on the importer's books, then their places. Nobody is removed.
   */
  importRoster(scope: TenantScope, siteId: SiteId, writes: RosterWrites): Answer<E, RosterLoad> {
    const self = this;
    return this.transaction(function* () {
      yield* self.importWorkersWork(scope, writes);
      return yield* self.#loadRoster(scope, siteId, writes.places, {});
    });
  }

  /** Writes one place (the caller holds the transaction and bumps the roster once). */
  *#place(siteId: string, worker: WorkerRow, detail: Partial<RosterPlace>, at: string): Work<void> {
    const workerId = worker.worker_id;
    const place = { trade: null, position: null, workContent: null, periodFrom: null, periodUntil: null, ...detail };
    if (place.periodFrom !== null && place.periodUntil !== null && place.periodUntil < place.periodFrom) {
      throw new StoreError('invalid', `${at}periodUntil must not be before periodFrom`, 'periodUntil');
    }
    const registered = JSON.parse(worker.trades) as string[];
    if (place.trade !== null && registered.length > 0 && !registered.includes(place.trade)) {
      throw new StoreError(
        'invalid',
        `${at}worker ${workerId} is registered for ${registered.join(', ')}, not ${place.trade}`,
        'trade',
      );
    }
    // PUT: a worker already on the roster keeps the place with what is given now.
    yield* refusing(
      this.db
        .insertInto('site_roster')
        .values({
          site_id: siteId,
          worker_id: workerId,
          tenant_id: worker.tenant_id,
          trade: place.trade,
          position: place.position,
          work_content: place.workContent,
          period_from: place.periodFrom,
          period_until: place.periodUntil,
        })
        .onConflict((conflict) =>
          conflict.columns(['site_id', 'worker_id']).doUpdateSet((eb) => ({
            tenant_id: eb.ref('excluded.tenant_id'),
            trade: eb.ref('excluded.trade'),
            position: eb.ref('excluded.position'),
            work_content: eb.ref('excluded.work_content'),
            period_from: eb.ref('excluded.period_from'),
            period_until: eb.ref('excluded.period_until'),
          })),
        ),
      `${at}worker ${workerId} on the roster of site ${siteId}`,
      'workerId',
    );
    // Records already built for this worker here lose (or gain) their not-on-roster flag.
    yield* queueWorkerRecords(this.engine, siteId, workerId);
  }

  *#seedWorker(siteId: string, workerId: string): Work<WorkerRow> {
    const row = yield* firstRow(
      this.db
        .selectFrom('workers as w')
        .leftJoin('sites as s', (join) => join.on('s.site_id', '=', siteId).onRef('s.tenant_id', '=', 'w.tenant_id'))
        .selectAll('w')
        .where('w.worker_id', '=', workerId)
        // The site's prime's entry first, then the first tenant's.
        .orderBy(sql`CASE WHEN s.site_id IS NULL THEN 1 ELSE 0 END`)
        .orderBy('w.tenant_id')
        .limit(1),
    );
    if (row === undefined) throw new StoreError('not_found', `no worker ${workerId}`, 'workerId');
    return row;
  }

  removeFromRoster(scope: TenantScope, siteId: SiteId, workerId: WorkerId): Answer<E, void> {
    const self = this;
    return this.transaction(function* () {
      yield* self.#mayRoster(scope, siteId, workerId);
      yield* mustChange(
        self.db.deleteFrom('site_roster').where('site_id', '=', siteId).where('worker_id', '=', workerId),
        () => new StoreError('not_found', `worker ${workerId} is not on the roster of site ${siteId}`, 'workerId'),
      );
      yield* self.bumpRoster(siteId);
      yield* queueWorkerRecords(self.engine, siteId, workerId);
    });
  }

  /** The worker's entry the actor may place on the site's roster; not_found for any other. */
  *#mayRoster(scope: TenantScope, siteId: string, workerId: string): Work<WorkerRow> {
    return yield* this.#mayRosterWith(yield* this.requireSiteWork(scope, siteId), scope, workerId, '');
  }

  *#mayRosterWith(access: SiteAccess, scope: TenantScope, workerId: string, at: string): Work<WorkerRow> {
    const field = at === '' ? 'workerId' : `${at}.workerId`;
    const prefix = at === '' ? '' : `${at}: `;
    const worker = yield* this.visibleWorker(scope, workerId);
    if (worker === undefined || (worker.tenant_id !== scope.tenantId && access !== 'prime')) {
      throw new StoreError('not_found', `${prefix}no worker ${workerId}`, field);
    }
    if (access === 'sub' && worker.employer_company_id !== scope.companyId) {
      throw new StoreError('forbidden', `${prefix}a subcontractor registers only its own employees`, field);
    }
    return worker;
  }

  /** The site roster as a person reads it, names included (never sent to a terminal). */
  roster(
    scope: TenantScope,
    siteId: string,
    paging: { limit: number; offset: number } = { limit: -1, offset: 0 },
  ): Answer<E, RosterEntry[]> {
    const self = this;
    return this.run(
      (function* () {
        yield* self.requireSiteWork(scope, siteId);
        return yield* self.#entries(scope, siteId, null, paging);
      })(),
    );
  }

  /** One worker's place on the roster; not_found when they have none the actor may see. */
  rosterEntry(scope: TenantScope, siteId: string, workerId: string): Answer<E, RosterEntry> {
    const self = this;
    return this.run(
      (function* () {
        yield* self.requireSiteWork(scope, siteId);
        const [entry] = yield* self.#entries(scope, siteId, workerId, { limit: 1, offset: 0 });
        if (entry === undefined) {
          throw new StoreError('not_found', `worker ${workerId} is not on the roster of site ${siteId}`, 'workerId');
        }
        return entry;
      })(),
    );
  }

  *#entries(
    scope: TenantScope,
    siteId: string,
    workerId: string | null,
    paging: { limit: number; offset: number },
  ): Work<RosterEntry[]> {
    let query = this.db
      .with('visible', visibleSites(scope))
      .selectFrom('site_roster as r')
      .innerJoin('workers as w', (join) =>
        join.onRef('w.tenant_id', '=', 'r.tenant_id').onRef('w.worker_id', '=', 'r.worker_id'),
      )
      .innerJoin('visible as v', 'v.site_id', 'r.site_id')
      .select([
        'r.worker_id',
        'w.name',
        'w.employer_company_id',
        'r.trade',
        'r.position',
        'r.work_content',
        'r.period_from',
        'r.period_until',
      ])
      .select((eb) =>
        eb
          .selectFrom('cards as c')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('c.tenant_id', '=', 'r.tenant_id')
          .whereRef('c.worker_id', '=', 'r.worker_id')
          .as('cards'),
      )
      .where('r.site_id', '=', siteId)
      .where(workerInScope(scope))
      .orderBy('r.worker_id')
      .limit(pageLimit(paging.limit))
      .offset(paging.offset);
    if (workerId !== null) query = query.where('r.worker_id', '=', workerId);
    return yield* mapRows(query, (row) => ({
      workerId: row.worker_id,
      name: row.name,
      employerCompanyId: row.employer_company_id as string,
      trade: row.trade,
      position: row.position as Position | null,
      workContent: row.work_content,
      periodFrom: row.period_from,
      periodUntil: row.period_until,
      cards: Number(row.cards ?? 0),
    }));
  }

  /**
   * What a terminal at the site needs: card identifiers and worker IDs, no names. Each worker's
   * cards come from the books their roster place draws on; a card two tenants bound to different
   * workers goes to the prime's (or, between subcontractors, the first). With `qrCodes` (a
   * terminal that reads the 建キャリ QR code), each worker on the roster with no card is there
   * too, by their worker ID, so the gate knows them when they show the app.
   */
  rosterFor(siteId: SiteId, options: { qrCodes?: boolean } = {}): Answer<E, Roster> {
    const db = this.db;
    const issuedAt = this.iso();
    return this.run(
      (function* () {
        const site = yield* firstRow(
          db.selectFrom('sites').select(['roster_version', 'tenant_id']).where('site_id', '=', siteId),
        );
        if (site === undefined) throw new StoreError('not_found', `roster: no site ${siteId}`, 'siteId');
        const cards = yield* rows(
          db
            .selectFrom('site_roster as r')
            .innerJoin('cards as c', (join) =>
              join.onRef('c.tenant_id', '=', 'r.tenant_id').onRef('c.worker_id', '=', 'r.worker_id'),
            )
            .select(['c.tech', 'c.card_id', 'c.worker_id'])
            .where('r.site_id', '=', siteId)
            .orderBy('c.tech')
            .orderBy('c.card_id')
            // The prime's binding first, then the first tenant's.
            .orderBy(sql`CASE WHEN r.tenant_id = ${site.tenant_id} THEN 0 ELSE 1 END`)
            .orderBy('r.tenant_id'),
        );
        const seen = new Set<string>();
        const entries: Roster['entries'] = [];
        for (const row of cards) {
          const key = `${row.tech}:${row.card_id}`;
          if (seen.has(key)) continue;
          seen.add(key);
          entries.push({ card: { tech: row.tech, id: row.card_id } as CardRef, workerId: row.worker_id as WorkerId });
        }
        if (options.qrCodes === true) {
          const carded = new Set(entries.map((entry) => entry.workerId));
          const onRoster = yield* mapRows(
            db
              .selectFrom('site_roster')
              .select('worker_id')
              .distinct()
              .where('site_id', '=', siteId)
              .orderBy('worker_id'),
            (row) => row.worker_id as WorkerId,
          );
          for (const workerId of onRoster) {
            if (!carded.has(workerId)) entries.push({ card: { tech: 'qr', id: workerId } as CardRef, workerId });
          }
        }
        return { v: 1, siteId, version: Math.max(1, site.roster_version), issuedAt, entries } as Roster;
      })(),
    );
  }
}
