import type { CompiledQuery } from 'kysely';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { DB } from '../schema.js';
import type { SqliteDb } from '../sqlite-db.js';
import type { StoreEngine } from './store-engine.js';
import type { Outcome, Work } from './work.js';

/** Kysely as a query builder only, for SQLite's dialect: SqliteEngine runs what it compiles. */
export const sqliteBuilder = (): Kysely<DB> =>
  new Kysely<DB>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });

// better-sqlite3 binds numbers, strings, bigints, buffers and null; SQLite keeps booleans as 0 and 1.
const bindable = (value: unknown): unknown => (typeof value === 'boolean' ? (value ? 1 : 0) : value);

/**
 * The stores' queries on the server's SQLite database, run synchronously: see store-engine.ts.
 * Stores not yet written as Work share the same connection (SqliteDb) and its transactions.
 */
export class SqliteEngine implements StoreEngine {
  readonly kind = 'sqlite' as const;
  readonly db = sqliteBuilder();
  readonly connections = 1;
  readonly sqlite: SqliteDb;

  constructor(sqlite: SqliteDb) {
    this.sqlite = sqlite;
  }

  now(): Date {
    return this.sqlite.now();
  }

  /** Runs the work to its end now: SQLite's answer is never later. */
  run<T>(work: Work<T>): T {
    let step = work.next();
    while (step.done !== true) {
      let outcome: Outcome;
      try {
        outcome = this.#execute(step.value);
      } catch (error) {
        // The work may catch a refusal (a constraint) and carry on, as it would around a call.
        step = work.throw(error);
        continue;
      }
      step = work.next(outcome);
    }
    return step.value;
  }

  transaction<T>(work: () => Work<T>): T {
    return this.sqlite.transaction(() => this.run(work()));
  }

  close(): void {
    this.sqlite.close();
  }

  #execute(query: CompiledQuery): Outcome {
    const statement = this.sqlite.sql(query.sql);
    const parameters = query.parameters.some((value) => typeof value === 'boolean')
      ? query.parameters.map(bindable)
      : query.parameters;
    if (statement.reader) {
      const rows = statement.all(...parameters) as unknown[];
      return { rows, affected: rows.length };
    }
    return { rows: [], affected: statement.run(...parameters).changes };
  }
}
