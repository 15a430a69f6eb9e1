import { join } from 'node:path';
import {
  type EngineKind,
  migratePostgres,
  PostgresEngine,
  SqliteDb,
  SqliteEngine,
  type StoreEngine,
} from '@ccus-gate/server';
import { type PostgresCluster, startPostgres } from './postgres.js';
import { tempDir } from './temp-dir.js';

/** The engines every dual-engine suite runs on, for `describe.each`. */
export const ENGINES: readonly EngineKind[] = ['sqlite', 'postgres'];

/**
 * Fresh, migrated databases on either engine for one test file: SQLite files in temporary
 * folders, and databases on a PostgreSQL cluster of the file's own, started at the first one
 * asked for (tests/support/postgres.ts). `close()` closes them all and stops the cluster.
 */
export class StoreEngines {
  #cluster: PostgresCluster | null = null;
  #databases = 0;
  readonly #open: { engine: StoreEngine; remove?: () => void }[] = [];
  readonly #urls = new Map<StoreEngine, string>();

  /** A database of its own, migrated to this server's schema, with `now` as its clock. */
  async open(kind: EngineKind, now: () => Date = () => new Date()): Promise<StoreEngine> {
    if (kind === 'sqlite') {
      const dir = tempDir('engine');
      const engine = new SqliteEngine(SqliteDb.open(join(dir.path, 'server.db'), now));
      this.#open.push({ engine, remove: dir.remove });
      return engine;
    }
    return this.postgres(await this.postgresUrl(), now);
  }

  /** The file's PostgreSQL cluster, to stop and start under the engines. */
  get cluster(): PostgresCluster {
    if (this.#cluster === null) throw new Error('no PostgreSQL engine opened yet');
    return this.#cluster;
  }

  /** A migrated PostgreSQL database's URL, for several engines (servers) on one database. */
  async postgresUrl(): Promise<string> {
    this.#cluster ??= await startPostgres();
    const url = this.#cluster.database(`engine_${++this.#databases}`);
    await migratePostgres(url);
    return url;
  }

  /** Another engine on the database at `url`: as another server would connect. */
  postgres(url: string, now: () => Date = () => new Date()): PostgresEngine {
    const engine = new PostgresEngine({ url, now, poolSize: 4 });
    this.#open.push({ engine });
    this.#urls.set(engine, url);
    return engine;
  }

  /** The database URL a PostgreSQL engine opened here is on: for a client of the test's own beside it. */
  postgresUrlOf(engine: StoreEngine): string {
    const url = this.#urls.get(engine);
    if (url === undefined) throw new Error('not a PostgreSQL engine opened here');
    return url;
  }

  /** Closes every engine opened since the last call (after each test). */
  async closeEngines(): Promise<void> {
    for (const { engine, remove } of this.#open.splice(0)) {
      await engine.close();
      remove?.();
    }
  }

  /** After the file: every engine closed, the cluster stopped. */
  async close(): Promise<void> {
    await this.closeEngines();
    this.#cluster?.stop();
    this.#cluster = null;
  }
}
