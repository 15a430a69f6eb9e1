import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { SqliteEngine } from './engine/sqlite-engine.js';
import { MIGRATIONS } from './migrations.js';

/**
 * The server's SQLite database, shared by the repositories that work on it: opened once,
 * migrated, with each SQL text prepared once (preparing costs more than running most of
 * our statements).
 */
export class SqliteDb {
  readonly raw: Database.Database;
  readonly now: () => Date;
  readonly #checkpointer: Checkpointer | null;
  readonly #statements = new Map<string, Database.Statement>();
  #engine: SqliteEngine | null = null;

  private constructor(raw: Database.Database, now: () => Date, checkpointer: Checkpointer | null) {
    this.raw = raw;
    this.now = now;
    this.#checkpointer = checkpointer;
  }

  static open(path: string, now: () => Date = () => new Date()): SqliteDb {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A background thread checkpoints (Checkpointer); this connection only does so when the log
    // has grown past ~200 MB, in case that thread has fallen behind or died.
    db.pragma(`wal_autocheckpoint = ${path === ':memory:' ? 1000 : 50_000}`);
    db.pragma('foreign_keys = ON');
    // Other server processes on this file hold the write lock in turn: wait for it, up to this long.
    db.pragma('busy_timeout = 10000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      db.close();
      throw new Error(`server database schema ${version} is newer than this server knows (${MIGRATIONS.length})`);
    }
    for (let i = version; i < MIGRATIONS.length; i++) {
      // Another server process starting on the same file may have migrated meanwhile.
      db.transaction(() => {
        if ((db.pragma('user_version', { simple: true }) as number) > i) return;
        db.exec(MIGRATIONS[i] as string);
        db.pragma(`user_version = ${i + 1}`);
      }).immediate();
    }
    return new SqliteDb(db, now, path === ':memory:' ? null : new Checkpointer(path));
  }

  // biome-ignore lint/suspicious/noExplicitAny: statements are typed where their rows are read.
  sql<P extends unknown[] | object = any[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.raw.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  /**
   * One write transaction, begun IMMEDIATE: it takes the write lock first and waits for it (the
   * busy timeout), so several server processes on one database take turns. A deferred one
   * would read, then fail with SQLITE_BUSY when another process wrote first. Nested, a savepoint.
   */
  transaction<T>(run: () => T): T {
    return this.raw.transaction(run).immediate();
  }

  /** This database as a store engine (engine/): every store's work runs through it, synchronously. */
  get engine(): SqliteEngine {
    this.#engine ??= new SqliteEngine(this);
    return this.#engine;
  }

  close(): void {
    this.#checkpointer?.stop();
    this.raw.close();
  }
}
