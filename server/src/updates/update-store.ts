import type { SqliteDb } from '../store/sqlite-db.js';
import { StoreError } from '../store/store-error.js';
import { bumpTerminalConfig } from '../store/version-counter.js';

/** A terminal release as published: its tarball is `<version>.tar.gz` in the updates folder. */
export interface Release {
  version: string;
  sha256: string;
  size: number;
  signature: string;
  publishedAt: string;
  publishedBy: string;
}

/** A terminal a rollout offers a release to, with what it last reported of itself. */
export interface UpdateTarget {
  terminalId: string;
  version: string;
  requestedAt: string;
  /** The terminal's last status (firmware version, update state), as it sent it. */
  status: unknown;
  statusAt: string | null;
}

/**
 * Published releases and the release each terminal is offered (migration 17). Offers reach a
 * terminal in its config (store/terminal-books.ts `configFor`): setting or clearing one moves
 * the terminal's config version on, so the new config is sent.
 */
export class UpdateStore {
  readonly #db: SqliteDb;

  constructor(db: SqliteDb) {
    this.#db = db;
  }

  addRelease(release: Release): void {
    const existing = this.release(release.version);
    if (existing !== null) {
      if (existing.sha256 === release.sha256) return;
      throw new StoreError(
        'conflict',
        `release ${release.version} is already published with another tarball; publish a new version`,
        'version',
      );
    }
    this.#db
      .sql(
        `INSERT INTO releases (version, sha256, size, signature, published_at, published_by)
         VALUES (@version, @sha256, @size, @signature, @publishedAt, @publishedBy)`,
      )
      .run(release);
  }

  release(version: string): Release | null {
    const row = this.#db
      .sql(
        `SELECT version, sha256, size, signature, published_at AS publishedAt, published_by AS publishedBy
           FROM releases WHERE version = ?`,
      )
      .get(version) as Release | undefined;
    return row ?? null;
  }

  releases(): Release[] {
    return this.#db
      .sql(
        `SELECT version, sha256, size, signature, published_at AS publishedAt, published_by AS publishedBy
           FROM releases ORDER BY published_at DESC, version DESC`,
      )
      .all() as Release[];
  }

  /** Offers a release to these terminals (replacing what they were offered); returns them. */
  offer(version: string, terminalIds: readonly string[], url: string): string[] {
    if (this.release(version) === null)
      throw new StoreError('not_found', `no release ${version} is published`, 'version');
    return this.#db.transaction(() => {
      const at = this.#db.iso();
      for (const terminalId of terminalIds) {
        this.#db
          .sql(
            `INSERT INTO terminal_updates (terminal_id, version, url, requested_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (terminal_id) DO UPDATE SET version = excluded.version, url = excluded.url,
               requested_at = excluded.requested_at`,
          )
          .run(terminalId, version, url, at);
        this.#db.engine.run(bumpTerminalConfig(this.#db.engine, terminalId));
      }
      return [...terminalIds];
    });
  }

  /** Stops offering a release: to every terminal, or to those given. Returns the terminals no longer offered it. */
  withdraw(version: string, terminalIds?: readonly string[]): string[] {
    return this.#db.transaction(() => {
      const offered = this.targets(version)
        .map((target) => target.terminalId)
        .filter((terminalId) => terminalIds === undefined || terminalIds.includes(terminalId));
      for (const terminalId of offered) {
        this.#db.sql('DELETE FROM terminal_updates WHERE terminal_id = ?').run(terminalId);
        this.#db.engine.run(bumpTerminalConfig(this.#db.engine, terminalId));
      }
      return offered;
    });
  }

  targets(version: string): UpdateTarget[] {
    return (
      this.#db
        .sql(
          `SELECT u.terminal_id, u.version, u.requested_at, t.status, t.status_at
             FROM terminal_updates u JOIN terminals t ON t.terminal_id = u.terminal_id
            WHERE u.version = ? ORDER BY u.terminal_id`,
        )
        .all(version) as {
        terminal_id: string;
        version: string;
        requested_at: string;
        status: string | null;
        status_at: string | null;
      }[]
    ).map((row) => ({
      terminalId: row.terminal_id,
      version: row.version,
      requestedAt: row.requested_at,
      status: row.status === null ? null : (JSON.parse(row.status) as unknown),
      statusAt: row.status_at,
    }));
  }

  /** Is this terminal offered this release? (It may download only what it is offered.) */
  isOffered(terminalId: string, version: string): boolean {
    return (
      this.#db.sql('SELECT 1 FROM terminal_updates WHERE terminal_id = ? AND version = ?').get(terminalId, version) !==
      undefined
    );
  }
}
