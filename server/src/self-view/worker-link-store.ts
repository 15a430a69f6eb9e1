import { createHash, randomBytes } from 'node:crypto';
import type { WorkerId } from '@ccus-gate/protocol';
import type { Actor } from '../store/correction-store.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
import { requireOwnWorker } from '../store/own-worker.js';
import { StoreError } from '../store/store-error.js';
import type { TenantScope } from '../store/tenant-scope.js';

/** A personal link as the contractor sees it: never its token, which only its worker holds. */
export interface WorkerLink {
  id: number;
  workerId: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Whose link a token is: the worker, at that tenant (whose sites and books it shows). */
export interface LinkHolder extends TenantScope {
  linkId: number;
  workerId: WorkerId;
  /** The employer's name, as the worker knows it. */
  tenantName: string;
  expiresAt: string;
}

interface Row {
  id: number;
  tenant_id: string;
  worker_id: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

const fromRow = (row: Row): WorkerLink => ({
  id: row.id,
  workerId: row.worker_id,
  createdBy: row.created_by,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
  lastUsedAt: row.last_used_at,
});

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The most links a worker keeps at once: an old phone's link is revoked, not piled up. */
const MAX_LIVE_LINKS = 5;

/**
 * Personal links a contractor issues so a worker sees their own records without a password:
 * a random token in the link, kept here as a hash, for one worker at one tenant, until it
 * expires or the contractor revokes it.
 */
export class WorkerLinkStore<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;

  constructor(engine: E) {
    this.#engine = engine;
  }

  get #db() {
    return this.#engine.db;
  }

  /** A new link for a worker on the tenant's own books; the token is in the answer only. */
  issue(actor: Actor, workerId: WorkerId, days: number): Answer<E, { link: WorkerLink; token: string }> {
    return this.#engine.transaction(() => this.#issue(actor, workerId, days)) as Answer<
      E,
      { link: WorkerLink; token: string }
    >;
  }

  *#issue(actor: Actor, workerId: WorkerId, days: number): Work<{ link: WorkerLink; token: string }> {
    yield* requireOwnWorker(this.#engine, actor.tenantId, workerId);
    const now = this.#engine.now().toISOString();
    const live = Number(
      (yield* firstRow(
        this.#db
          .selectFrom('worker_links')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', actor.tenantId)
          .where('worker_id', '=', workerId)
          .where('revoked_at', 'is', null)
          .where('expires_at', '>', now),
      ))?.n ?? 0,
    );
    if (live >= MAX_LIVE_LINKS) {
      throw new StoreError(
        'conflict',
        `worker ${workerId} has ${live} live links already: revoke one they no longer use`,
        'workerId',
      );
    }
    const token = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.parse(now) + days * 86_400_000).toISOString();
    const made = yield* firstRow(
      this.#db
        .insertInto('worker_links')
        .values({
          token_hash: hashOf(token),
          tenant_id: actor.tenantId,
          worker_id: workerId,
          created_by: actor.name,
          created_at: now,
          expires_at: expiresAt,
        })
        .returning('id'),
    );
    return { link: yield* this.#get(Number(made?.id)), token };
  }

  /** The worker's links at the tenant, newest first (the tokens are not kept to show). */
  links(scope: TenantScope, workerId: WorkerId): Answer<E, WorkerLink[]> {
    return this.#engine.run(this.#links(scope, workerId)) as Answer<E, WorkerLink[]>;
  }

  *#links(scope: TenantScope, workerId: WorkerId): Work<WorkerLink[]> {
    const found = yield* rows(
      this.#db
        .selectFrom('worker_links')
        .selectAll()
        .where('tenant_id', '=', scope.tenantId)
        .where('worker_id', '=', workerId)
        .orderBy('id', 'desc'),
    );
    return (found as Row[]).map(fromRow);
  }

  revoke(scope: TenantScope, id: number): Answer<E, WorkerLink> {
    return this.#engine.transaction(() => this.#revoke(scope, id)) as Answer<E, WorkerLink>;
  }

  *#revoke(scope: TenantScope, id: number): Work<WorkerLink> {
    const row = yield* firstRow(
      this.#db.selectFrom('worker_links').selectAll().where('id', '=', id).where('tenant_id', '=', scope.tenantId),
    );
    if (row === undefined) throw new StoreError('not_found', `no worker link ${id} issued by this tenant`, 'id');
    if (row.revoked_at === null) {
      yield* execute(
        this.#db.updateTable('worker_links').set({ revoked_at: this.#engine.now().toISOString() }).where('id', '=', id),
      );
    }
    return yield* this.#get(id);
  }

  /** Whose link the token is, if it is live; null for any other token (unknown, revoked, expired). */
  holder(token: string): Answer<E, LinkHolder | null> {
    if (token.length < 16 || token.length > 64) return null as Answer<E, LinkHolder | null>;
    return this.#engine.transaction(() => this.#holder(token)) as Answer<E, LinkHolder | null>;
  }

  *#holder(token: string): Work<LinkHolder | null> {
    const now = this.#engine.now().toISOString();
    const row = yield* firstRow(
      this.#db
        .selectFrom('worker_links as l')
        .innerJoin('tenants as t', 't.tenant_id', 'l.tenant_id')
        .select(['l.id', 'l.tenant_id', 'l.worker_id', 'l.expires_at', 't.company_id', 't.name'])
        .where('l.token_hash', '=', hashOf(token))
        .where('l.revoked_at', 'is', null)
        .where('l.expires_at', '>', now),
    );
    if (row === undefined) return null;
    const linkId = Number(row.id);
    yield* execute(this.#db.updateTable('worker_links').set({ last_used_at: now }).where('id', '=', linkId));
    return {
      linkId,
      tenantId: row.tenant_id,
      companyId: row.company_id,
      workerId: row.worker_id as WorkerId,
      tenantName: row.name,
      expiresAt: row.expires_at,
    };
  }

  *#get(id: number): Work<WorkerLink> {
    return fromRow((yield* firstRow(this.#db.selectFrom('worker_links').selectAll().where('id', '=', id))) as Row);
  }
}
