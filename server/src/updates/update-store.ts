import { EngineStore } from '../store/engine/engine-store.js';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, mapFirst, mapRows, type Work } from '../store/engine/work.js';
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

const RELEASE_COLUMNS = [
  'version',
  'sha256',
  'size',
  'signature',
  'published_at as publishedAt',
  'published_by as publishedBy',
] as const;

/**
 * Published releases and the release each terminal is offered (migration 17). Offers reach a
 * terminal in its config (store/terminal-books.ts `configFor`): setting or clearing one moves
 * the terminal's config version on, so the new config is sent.
 */
export class UpdateStore<E extends StoreEngine = StoreEngine> extends EngineStore<E> {
  addRelease(release: Release): Answer<E, void> {
    const self = this;
    return this.transaction(function* () {
      const existing = yield* self.#release(release.version);
      if (existing !== null) {
        if (existing.sha256 === release.sha256) return;
        throw new StoreError(
          'conflict',
          `release ${release.version} is already published with another tarball; publish a new version`,
          'version',
        );
      }
      yield* execute(
        self.db.insertInto('releases').values({
          version: release.version,
          sha256: release.sha256,
          size: release.size,
          signature: release.signature,
          published_at: release.publishedAt,
          published_by: release.publishedBy,
        }),
      );
    });
  }

  release(version: string): Answer<E, Release | null> {
    return this.run(this.#release(version));
  }

  *#release(version: string): Work<Release | null> {
    return yield* mapFirst(
      this.db.selectFrom('releases').select(RELEASE_COLUMNS).where('version', '=', version),
      (row) => row as Release,
    );
  }

  releases(): Answer<E, Release[]> {
    return this.run(
      mapRows(
        this.db
          .selectFrom('releases')
          .select(RELEASE_COLUMNS)
          .orderBy('published_at', 'desc')
          .orderBy('version', 'desc'),
        (row) => row as Release,
      ),
    );
  }

  /** Offers a release to these terminals (replacing what they were offered); returns them. */
  offer(version: string, terminalIds: readonly string[], url: string): Answer<E, string[]> {
    const self = this;
    const at = this.iso();
    return this.transaction(function* () {
      if ((yield* self.#release(version)) === null) {
        throw new StoreError('not_found', `no release ${version} is published`, 'version');
      }
      for (const terminalId of terminalIds) {
        yield* execute(
          self.db
            .insertInto('terminal_updates')
            .values({ terminal_id: terminalId, version, url, requested_at: at })
            .onConflict((conflict) =>
              conflict.column('terminal_id').doUpdateSet((eb) => ({
                version: eb.ref('excluded.version'),
                url: eb.ref('excluded.url'),
                requested_at: eb.ref('excluded.requested_at'),
              })),
            ),
        );
        yield* bumpTerminalConfig(self.engine, terminalId);
      }
      return [...terminalIds];
    });
  }

  /** Stops offering a release: to every terminal, or to those given. Returns the terminals no longer offered it. */
  withdraw(version: string, terminalIds?: readonly string[]): Answer<E, string[]> {
    const self = this;
    return this.transaction(function* () {
      const offered = (yield* self.#targets(version))
        .map((target) => target.terminalId)
        .filter((terminalId) => terminalIds === undefined || terminalIds.includes(terminalId));
      for (const terminalId of offered) {
        yield* execute(self.db.deleteFrom('terminal_updates').where('terminal_id', '=', terminalId));
        yield* bumpTerminalConfig(self.engine, terminalId);
      }
      return offered;
    });
  }

  targets(version: string): Answer<E, UpdateTarget[]> {
    return this.run(this.#targets(version));
  }

  *#targets(version: string): Work<UpdateTarget[]> {
    return yield* mapRows(
      this.db
        .selectFrom('terminal_updates as u')
        .innerJoin('terminals as t', 't.terminal_id', 'u.terminal_id')
        .select(['u.terminal_id', 'u.version', 'u.requested_at', 't.status', 't.status_at'])
        .where('u.version', '=', version)
        .orderBy('u.terminal_id'),
      (row) => ({
        terminalId: row.terminal_id as string,
        version: row.version,
        requestedAt: row.requested_at,
        status: row.status === null ? null : (JSON.parse(row.status) as unknown),
        statusAt: row.status_at,
      }),
    );
  }

  /** Is this terminal offered this release? (It may download only what it is offered.) */
  isOffered(terminalId: string, version: string): Answer<E, boolean> {
    const query = this.db
      .selectFrom('terminal_updates')
      .select('terminal_id')
      .where('terminal_id', '=', terminalId)
      .where('version', '=', version);
    return this.run(
      (function* () {
        return (yield* firstRow(query)) !== undefined;
      })(),
    );
  }
}
