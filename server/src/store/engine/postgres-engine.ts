import type { CompiledQuery } from 'kysely';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DB } from '../schema.js';
import { StoreError } from '../store-error.js';
import { statementName } from './prepared.js';
import type { StoreEngine } from './store-engine.js';
import type { Outcome, Work } from './work.js';

/** Kysely as a query builder only, for PostgreSQL's dialect: PostgresEngine runs what it compiles. */
export const postgresBuilder = (): Kysely<DB> =>
  new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });

const INT8 = 20;
const NUMERIC = 1700;
/**
 * BIGINT (counts, milliseconds, row ids) and NUMERIC (sums) as numbers, as SQLite answers
 * them: none of ours comes near 2^53. pg's default is a string.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 || oid === NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * A query as pg sends it. One prepared here (engine/prepared.ts) goes as a named statement:
 * PostgreSQL parses and plans it once per connection, not at every run (a batch's INSERT took
 * twice as long as the raw insert through that alone).
 */
const statement = (query: CompiledQuery): pg.QueryConfig => {
  const name = statementName(query);
  const values = query.parameters as unknown[];
  return name === undefined ? { text: query.sql, values } : { name, text: query.sql, values };
};

/** Deadlock victim, or a serialisation failure: the whole transaction may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
export const isRetryable = (error: unknown): boolean => RETRYABLE.has((error as { code?: string }).code ?? '');
const ATTEMPTS = 5;
/** Connection refused or lost, the server shutting down or starting: the database is away for now. */
const AWAY = /^(08|57P0[123])/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function isAway(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return AWAY.test(code) || NETWORK.has(code);
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/** A database that cannot be reached says so plainly (503 at the API; at ingest, "not stored" in the ack). */
function unavailable(error: unknown): unknown {
  if (!isAway(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreError('unavailable', `the PostgreSQL database cannot be reached: ${reason}`);
}

export interface PostgresEngineOptions {
  url: string;
  /** Connections this server keeps at most. */
  poolSize?: number;
  now?: () => Date;
  log?: Logger;
}

/** The stores' queries on PostgreSQL, each awaited on a pooled connection: see store-engine.ts. */
export class PostgresEngine implements StoreEngine {
  readonly kind = 'postgres' as const;
  readonly db = postgresBuilder();
  readonly pool: pg.Pool;
  readonly connections: number;
  readonly #now: () => Date;
  readonly #log: Logger | undefined;

  constructor(options: PostgresEngineOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#log = options.log;
    this.connections = options.poolSize ?? 10;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: this.connections,
      // While the database is away, a caller hears so within seconds rather than waiting on.
      connectionTimeoutMillis: 5_000,
      application_name: 'ccus-gate-server',
      types,
    });
    // An idle connection dropped by a restarting database is not this process's end: the pool
    // makes a new one when next asked. Unhandled, this event would end the process.
    this.pool.on('error', (error) => options.log?.warn({ err: error }, 'PostgreSQL connection lost'));
    // The pool stops listening to a connection as it hands it out, and the caller starts only
    // after a tick: an error read in that gap (a database stopping just as the connection is
    // made) would be unheard. Every connection therefore keeps a listener of its own for life;
    // the caller then finds the connection not queryable and is told the database is away.
    this.pool.on('connect', (client) =>
      client.on('error', (error) => this.#log?.debug({ err: error }, 'PostgreSQL connection ended')),
    );
  }

  now(): Date {
    return this.#now();
  }

  /**
   * On one pooled connection, each statement committing on its own. Not `pool.query`: the pool
   * drops a connection whose query failed, so every refusal (a key taken, a tap stored before)
   * would cost a new connection and every statement prepared on it again.
   */
  async run<T>(work: Work<T>): Promise<T> {
    return this.#onConnection(async (client) => await this.#drive(work, (query) => client.query(statement(query))));
  }

  async transaction<T>(work: () => Work<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#onConnection(async (client) => {
          await client.query('BEGIN');
          try {
            const result = await this.#drive(work(), (query) => client.query(statement(query)));
            await client.query('COMMIT');
            return result;
          } catch (error) {
            if (!isAway(error)) await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        });
      } catch (error) {
        if (isRetryable(error) && attempt < ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /**
   * Runs `use` on a pooled connection, handed back to the pool afterwards unless the database
   * went away under it. An unreachable database is reported as such (`unavailable`).
   */
  async #onConnection<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(error);
    }
    let broken = false;
    // A connection lost while in use is reported on the client itself (the pool listens only to
    // idle ones): unheard, that event would end the process.
    const lost = (error: Error): void => {
      broken = true;
      this.#log?.warn({ err: error }, 'PostgreSQL connection lost while in use');
    };
    client.on('error', lost);
    try {
      return await use(client);
    } catch (error) {
      broken ||= isAway(error);
      throw unavailable(error);
    } finally {
      client.off('error', lost);
      // A connection that failed in use is discarded, not handed to the next caller.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async #drive<T>(work: Work<T>, query: (compiled: CompiledQuery) => Promise<pg.QueryResult>): Promise<T> {
    let step = work.next();
    while (step.done !== true) {
      let outcome: Outcome;
      try {
        const result = await query(step.value);
        outcome = { rows: result.rows, affected: result.rowCount ?? 0 };
      } catch (error) {
        // The work may catch a refusal and carry on; a transaction it was in is then aborted,
        // which is why store code catches only outside transactions or with ON CONFLICT.
        step = work.throw(error);
        continue;
      }
      step = work.next(outcome);
    }
    return step.value;
  }
}
