import type { SqliteDb } from '../store/sqlite-db.js';

/** Something a server changed that another server's live pages show. */
export type Change = { kind: 'taps' | 'status'; terminalId: string } | { kind: 'records'; siteIds: string[] };

export interface FedChange {
  id: number;
  change: Change;
}

/** The change feed's rows: appended by each server, read by the others, pruned after a while. */
export class ChangeFeedStore {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  note(serverId: string, change: Change): void {
    this.#db
      .sql('INSERT INTO change_feed (server_id, kind, terminal_id, site_ids, at) VALUES (?, ?, ?, ?, ?)')
      .run(
        serverId,
        change.kind,
        'terminalId' in change ? change.terminalId : null,
        'siteIds' in change ? JSON.stringify(change.siteIds) : null,
        this.#db.iso(),
      );
  }

  /** The newest id now: a server that starts follows from here, not from the past. */
  last(): number {
    return (this.#db.sql('SELECT coalesce(max(id), 0) AS id FROM change_feed').get() as { id: number }).id;
  }

  /** Other servers' changes after `afterId`, oldest first. */
  since(afterId: number, serverId: string, limit: number): FedChange[] {
    const rows = this.#db
      .sql(
        `SELECT id, kind, terminal_id, site_ids FROM change_feed
           WHERE id > ? AND server_id <> ? ORDER BY id LIMIT ?`,
      )
      .all(afterId, serverId, limit) as {
      id: number;
      kind: Change['kind'];
      terminal_id: string | null;
      site_ids: string | null;
    }[];
    return rows.map((row) => ({
      id: row.id,
      change:
        row.kind === 'records'
          ? { kind: 'records', siteIds: JSON.parse(row.site_ids ?? '[]') as string[] }
          : { kind: row.kind, terminalId: row.terminal_id ?? '' },
    }));
  }

  /** Forgets changes older than `before` (ISO time): every server has long read them. */
  prune(before: string): number {
    return this.#db.sql('DELETE FROM change_feed WHERE at < ?').run(before).changes;
  }
}
