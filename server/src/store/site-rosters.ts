import type { CardRef, Roster, SiteId, WorkerId } from '@ccus-gate/protocol';
import { queueWorkerRecords } from '../records/record-queue.js';
import { fromSqlite, StoreError } from './store-error.js';
import { scoped, type TenantScope, VISIBLE_SITES, WORKER_IN_SCOPE } from './tenant-scope.js';
import { type Position, type SiteAccess, WorkerBooks, type WorkerRow } from './worker-books.js';

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
export abstract class SiteRosters extends WorkerBooks {
  /**
   * Registers a worker on the site's roster (作業員名簿), or changes their place there. The
   * prime may place anyone on its own books or already on its rosters; a subcontractor only its
   * own employees. Without a scope (seeding), the worker comes from the site's prime, or from the
   * only tenant that has them.
   */
  addToRoster(siteId: SiteId, workerId: WorkerId, detail: Partial<RosterPlace> = {}, scope?: TenantScope): void {
    this.db.transaction(() => {
      const worker =
        scope === undefined ? this.#seedWorker(siteId, workerId) : this.#mayRoster(scope, siteId, workerId);
      this.#place(siteId, worker, detail, '');
      this.bumpRoster(siteId);
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
  ): RosterLoad {
    return this.db.transaction(() => {
      const access = this.requireSite(scope, siteId);
      const before = new Set(
        this.db
          .sql('SELECT worker_id FROM site_roster WHERE site_id = ? AND tenant_id = ?')
          .pluck()
          .all(siteId, scope.tenantId) as string[],
      );
      const listed = new Set<string>();
      let added = 0;
      entries.forEach((entry, index) => {
        const at = `entries.${index}`;
        if (listed.has(entry.workerId)) {
          throw new StoreError('invalid', `${at}: worker ${entry.workerId} is listed twice`, `${at}.workerId`);
        }
        listed.add(entry.workerId);
        const worker = this.#mayRosterWith(access, scope, entry.workerId, at);
        const { workerId: _, ...detail } = entry;
        this.#place(siteId, worker, detail, `${at}: `);
        if (!before.has(entry.workerId)) added++;
      });
      let removed = 0;
      if (options.removeUnlisted === true) {
        const remove = this.db.sql('DELETE FROM site_roster WHERE site_id = ? AND tenant_id = ? AND worker_id = ?');
        for (const workerId of before) {
          if (listed.has(workerId)) continue;
          remove.run(siteId, scope.tenantId, workerId);
          this.db.engine.run(queueWorkerRecords(this.db.engine, siteId, workerId));
          removed++;
        }
      }
      this.bumpRoster(siteId);
      return { siteId, listed: entries.length, added, changed: entries.length - added, removed };
    });
  }

  /**
   * Carries out an import of CCUS's roster (ccus/roster-import.ts decides what), all or nothing:
   * workers created or changed on the importer's books, then their places. Nobody is removed.
   */
  importRoster(
    scope: TenantScope,
    siteId: SiteId,
    writes: {
      create: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId: string }[];
      update: { workerId: WorkerId; name: string; trades: string[]; employerCompanyId: string }[];
      places: (Partial<RosterPlace> & { workerId: WorkerId })[];
    },
  ): RosterLoad {
    return this.db.transaction(() => {
      this.importWorkers(scope, writes);
      return this.loadRoster(scope, siteId, writes.places);
    });
  }

  /** Writes one place (the caller holds the transaction and bumps the roster once). */
  #place(siteId: string, worker: WorkerRow, detail: Partial<RosterPlace>, at: string): void {
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
    try {
      this.db
        .sql(
          `INSERT INTO site_roster (site_id, worker_id, tenant_id, trade, position, work_content, period_from, period_until)
           VALUES (@siteId, @workerId, @tenantId, @trade, @position, @workContent, @periodFrom, @periodUntil)
           ON CONFLICT (site_id, worker_id) DO UPDATE SET tenant_id = excluded.tenant_id, trade = excluded.trade,
             position = excluded.position, work_content = excluded.work_content, period_from = excluded.period_from,
             period_until = excluded.period_until`,
        )
        .run({ siteId, workerId, tenantId: worker.tenant_id, ...place });
    } catch (error) {
      throw fromSqlite(error, `${at}worker ${workerId} on the roster of site ${siteId}`, 'workerId');
    }
    // Records already built for this worker here lose (or gain) their not-on-roster flag.
    this.db.engine.run(queueWorkerRecords(this.db.engine, siteId, workerId));
  }

  #seedWorker(siteId: string, workerId: string): WorkerRow {
    const row = this.db
      .sql(
        `SELECT w.* FROM workers w LEFT JOIN sites s ON s.site_id = ? AND s.tenant_id = w.tenant_id
           WHERE w.worker_id = ? ORDER BY s.site_id IS NULL, w.tenant_id LIMIT 1`,
      )
      .get(siteId, workerId) as WorkerRow | undefined;
    if (row === undefined) throw new StoreError('not_found', `no worker ${workerId}`, 'workerId');
    return row;
  }

  removeFromRoster(scope: TenantScope, siteId: SiteId, workerId: WorkerId): void {
    this.db.transaction(() => {
      this.#mayRoster(scope, siteId, workerId);
      const result = this.db.sql('DELETE FROM site_roster WHERE site_id = ? AND worker_id = ?').run(siteId, workerId);
      if (result.changes === 0)
        throw new StoreError('not_found', `worker ${workerId} is not on the roster of site ${siteId}`, 'workerId');
      this.bumpRoster(siteId);
      this.db.engine.run(queueWorkerRecords(this.db.engine, siteId, workerId));
    });
  }

  /** The worker's entry the actor may place on the site's roster; not_found for any other. */
  #mayRoster(scope: TenantScope, siteId: string, workerId: string): WorkerRow {
    return this.#mayRosterWith(this.requireSite(scope, siteId), scope, workerId, '');
  }

  #mayRosterWith(access: SiteAccess, scope: TenantScope, workerId: string, at: string): WorkerRow {
    const field = at === '' ? 'workerId' : `${at}.workerId`;
    const prefix = at === '' ? '' : `${at}: `;
    const worker = this.visibleWorker(scope, workerId);
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
  ): RosterEntry[] {
    this.requireSite(scope, siteId);
    return this.#entries(scope, siteId, null, paging);
  }

  /** One worker's place on the roster; not_found when they have none the actor may see. */
  rosterEntry(scope: TenantScope, siteId: string, workerId: string): RosterEntry {
    this.requireSite(scope, siteId);
    const [entry] = this.#entries(scope, siteId, workerId, { limit: 1, offset: 0 });
    if (entry === undefined) {
      throw new StoreError('not_found', `worker ${workerId} is not on the roster of site ${siteId}`, 'workerId');
    }
    return entry;
  }

  #entries(
    scope: TenantScope,
    siteId: string,
    workerId: string | null,
    paging: { limit: number; offset: number },
  ): RosterEntry[] {
    return (
      this.db
        .sql(
          `WITH ${VISIBLE_SITES}
           SELECT r.worker_id, w.name, w.employer_company_id, r.trade, r.position, r.work_content, r.period_from,
               r.period_until,
               (SELECT count(*) FROM cards c WHERE c.tenant_id = r.tenant_id AND c.worker_id = r.worker_id) AS cards
             FROM site_roster r JOIN workers w ON w.tenant_id = r.tenant_id AND w.worker_id = r.worker_id
               JOIN visible v USING (site_id)
             WHERE r.site_id = @siteId AND (@workerId IS NULL OR r.worker_id = @workerId) AND ${WORKER_IN_SCOPE}
             ORDER BY r.worker_id LIMIT @limit OFFSET @offset`,
        )
        .all({ ...scoped(scope), siteId, workerId, ...paging }) as {
        worker_id: string;
        name: string;
        employer_company_id: string;
        trade: string | null;
        position: Position | null;
        work_content: string | null;
        period_from: string | null;
        period_until: string | null;
        cards: number;
      }[]
    ).map((row) => ({
      workerId: row.worker_id,
      name: row.name,
      employerCompanyId: row.employer_company_id,
      trade: row.trade,
      position: row.position,
      workContent: row.work_content,
      periodFrom: row.period_from,
      periodUntil: row.period_until,
      cards: row.cards,
    }));
  }

  /**
   * What a terminal at the site needs: card identifiers and worker IDs, no names. Each worker's
   * cards come from the books their roster place draws on; a card two tenants bound to different
   * workers goes to the prime's (or, between subcontractors, the first). With `qrCodes` (a
   * terminal that reads the 建キャリ QR code), each worker on the roster with no card is there
   * too, by their worker ID, so the gate knows them when they show the app.
   */
  rosterFor(siteId: SiteId, options: { qrCodes?: boolean } = {}): Roster {
    const site = this.db.sql('SELECT roster_version, tenant_id FROM sites WHERE site_id = ?').get(siteId) as
      | { roster_version: number; tenant_id: string }
      | undefined;
    if (site === undefined) throw new StoreError('not_found', `roster: no site ${siteId}`, 'siteId');
    const rows = this.db
      .sql(
        `SELECT c.tech, c.card_id, c.worker_id FROM site_roster r
           JOIN cards c ON c.tenant_id = r.tenant_id AND c.worker_id = r.worker_id
           WHERE r.site_id = ? ORDER BY c.tech, c.card_id, r.tenant_id = ? DESC, r.tenant_id`,
      )
      .all(siteId, site.tenant_id) as { tech: CardRef['tech']; card_id: string; worker_id: WorkerId }[];
    const seen = new Set<string>();
    const entries: Roster['entries'] = [];
    for (const row of rows) {
      const key = `${row.tech}:${row.card_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push({ card: { tech: row.tech, id: row.card_id } as CardRef, workerId: row.worker_id });
    }
    if (options.qrCodes === true) {
      const carded = new Set(entries.map((entry) => entry.workerId));
      const cardless = this.db
        .sql('SELECT DISTINCT worker_id FROM site_roster WHERE site_id = ? ORDER BY worker_id')
        .pluck()
        .all(siteId) as WorkerId[];
      for (const workerId of cardless) {
        if (!carded.has(workerId)) entries.push({ card: { tech: 'qr', id: workerId } as CardRef, workerId });
      }
    }
    return { v: 1, siteId, version: Math.max(1, site.roster_version), issuedAt: this.db.iso(), entries };
  }
}
