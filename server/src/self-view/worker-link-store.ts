import { createHash, randomBytes } from 'node:crypto';
import type { WorkerId } from '@ccus-gate/protocol';
import type { Actor } from '../store/correction-store.js';
import type { SqliteDb } from '../store/sqlite-db.js';
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
export class WorkerLinkStore {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  /** A new link for a worker on the tenant's own books; the token is in the answer only. */
  issue(actor: Actor, workerId: WorkerId, days: number): { link: WorkerLink; token: string } {
    return this.#db.transaction(() => {
      const worker = this.#db
        .sql('SELECT 1 FROM workers WHERE tenant_id = ? AND worker_id = ?')
        .get(actor.tenantId, workerId);
      if (worker === undefined) {
        throw new StoreError('not_found', `no worker ${workerId} registered by this tenant`, 'workerId');
      }
      const now = this.#db.iso();
      const live = this.#db
        .sql(
          `SELECT count(*) AS n FROM worker_links
             WHERE tenant_id = ? AND worker_id = ? AND revoked_at IS NULL AND expires_at > ?`,
        )
        .get(actor.tenantId, workerId, now) as { n: number };
      if (live.n >= MAX_LIVE_LINKS) {
        throw new StoreError(
          'conflict',
          `worker ${workerId} has ${live.n} live links already: revoke one they no longer use`,
          'workerId',
        );
      }
      const token = randomBytes(24).toString('base64url');
      const expiresAt = new Date(Date.parse(now) + days * 86_400_000).toISOString();
      const { lastInsertRowid } = this.#db
        .sql(
          `INSERT INTO worker_links (token_hash, tenant_id, worker_id, created_by, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(hashOf(token), actor.tenantId, workerId, actor.name, now, expiresAt);
      return { link: this.#get(Number(lastInsertRowid)), token };
    });
  }

  /** The worker's links at the tenant, newest first (the tokens are not kept to show). */
  links(scope: TenantScope, workerId: WorkerId): WorkerLink[] {
    const rows = this.#db
      .sql('SELECT * FROM worker_links WHERE tenant_id = ? AND worker_id = ? ORDER BY id DESC')
      .all(scope.tenantId, workerId) as Row[];
    return rows.map(fromRow);
  }

  revoke(scope: TenantScope, id: number): WorkerLink {
    const row = this.#db.sql('SELECT * FROM worker_links WHERE id = ? AND tenant_id = ?').get(id, scope.tenantId) as
      | Row
      | undefined;
    if (row === undefined) throw new StoreError('not_found', `no worker link ${id} issued by this tenant`, 'id');
    if (row.revoked_at === null) {
      this.#db.sql('UPDATE worker_links SET revoked_at = ? WHERE id = ?').run(this.#db.iso(), id);
    }
    return this.#get(id);
  }

  /** Whose link the token is, if it is live; null for any other token (unknown, revoked, expired). */
  holder(token: string): LinkHolder | null {
    if (token.length < 16 || token.length > 64) return null;
    const now = this.#db.iso();
    const row = this.#db
      .sql(
        `SELECT l.id, l.tenant_id, l.worker_id, l.expires_at, t.company_id, t.name FROM worker_links l
           JOIN tenants t USING (tenant_id)
           WHERE l.token_hash = ? AND l.revoked_at IS NULL AND l.expires_at > ?`,
      )
      .get(hashOf(token), now) as
      | { id: number; tenant_id: string; worker_id: string; expires_at: string; company_id: string; name: string }
      | undefined;
    if (row === undefined) return null;
    this.#db.sql('UPDATE worker_links SET last_used_at = ? WHERE id = ?').run(now, row.id);
    return {
      linkId: row.id,
      tenantId: row.tenant_id,
      companyId: row.company_id,
      workerId: row.worker_id as WorkerId,
      tenantName: row.name,
      expiresAt: row.expires_at,
    };
  }

  #get(id: number): WorkerLink {
    return fromRow(this.#db.sql('SELECT * FROM worker_links WHERE id = ?').get(id) as Row);
  }
}
