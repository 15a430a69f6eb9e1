import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { DB } from '../schema.js';
import type { EngineKind, StoreEngine } from './store-engine.js';

/*
 * Queries built and compiled once per engine, then run with new values: Kysely compiles a
 * query each time it is built (about 10 µs for a small select, 500 µs for a batch's
 * insert), which on the ingest path cost more than SQLite takes to run them. A query is
 * compiled with a marker in place of each value, and the markers' places in its parameter
 * list are then filled with each call's values. (kysely-params does this, but is pinned to
 * Kysely 0.24.)
 */

const MARK = '\u0000ccus-gate:';

interface Compiled {
  base: CompiledQuery;
  /** For each parameter, where its value comes from; null keeps the value compiled in. */
  slots: (string | null)[];
  /** The name PostgreSQL knows it by on each connection, once it has been parsed there. */
  statement: string;
}

/** A query prepared here, run again with new values: PostgresEngine runs it as a named statement. */
type PreparedQuery<R = unknown> = CompiledQuery<R> & { readonly statement: string };

/** The statement name of a prepared query, or undefined for a query built for one run. */
export const statementName = (query: CompiledQuery): string | undefined => (query as Partial<PreparedQuery>).statement;

// One name per compiled text, unique in the process: PostgreSQL refuses a name prepared twice.
let statements = 0;

function compileMarked(query: Compilable): Compiled {
  const base = query.compile();
  // A marker written into the SQL itself (sql.lit, a name) would run as text: refuse it at once.
  if (base.sql.includes(MARK)) throw new Error(`a prepared query's value was written into its SQL: ${base.sql}`);
  const slots = base.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARK) ? value.slice(MARK.length) : null,
  );
  statements += 1;
  return { base, slots, statement: `ccus_gate_${statements}` };
}

const filled = (compiled: Compiled, value: (slot: string) => unknown): PreparedQuery => ({
  ...compiled.base,
  parameters: compiled.slots.map((slot, i) => (slot === null ? compiled.base.parameters[i] : value(slot))),
  statement: compiled.statement,
});

/**
 * A query with named values, compiled once per engine: `p.name` stands for the value given
 * as `name` at each call. Its shape must not depend on the values.
 */
export function prepared<P extends Record<string, unknown>, R>(
  build: (db: Kysely<DB>, p: P, kind: EngineKind) => Compilable<R>,
): (engine: StoreEngine, values: P) => CompiledQuery<R> {
  const byEngine = new WeakMap<Kysely<DB>, Compiled>();
  const marks = new Proxy({} as P, { get: (_, name) => `${MARK}${String(name)}` });
  return (engine, values) => {
    let compiled = byEngine.get(engine.db);
    if (compiled === undefined) {
      compiled = compileMarked(build(engine.db, marks, engine.kind));
      byEngine.set(engine.db, compiled);
    }
    return filled(compiled, (slot) => values[slot]) as CompiledQuery<R>;
  };
}

/**
 * A many-row statement (one INSERT for a batch), compiled once per engine and row count:
 * `columns` are each row's values, in the rows given at each call. Its text changes with the
 * count, so it is not named for PostgreSQL: there, rows go as one JSON array (json-rows.ts).
 */
export function preparedRows<Row extends Record<string, unknown>, R>(
  columns: readonly (keyof Row & string)[],
  build: (db: Kysely<DB>, rows: Row[]) => Compilable<R>,
): (engine: StoreEngine, rows: readonly Row[]) => CompiledQuery<R> {
  const byEngine = new WeakMap<Kysely<DB>, Map<number, Compiled & { at: [number, string][] }>>();
  return (engine, rows) => {
    let byCount = byEngine.get(engine.db);
    if (byCount === undefined) {
      byCount = new Map();
      byEngine.set(engine.db, byCount);
    }
    let compiled = byCount.get(rows.length);
    if (compiled === undefined) {
      const marked = rows.map((_, i) => Object.fromEntries(columns.map((column) => [column, `${MARK}${i}:${column}`])));
      const made = compileMarked(build(engine.db, marked as Row[]));
      const at = made.slots.map((slot): [number, string] => {
        const colon = (slot ?? '').indexOf(':');
        return [Number((slot ?? '').slice(0, colon)), (slot ?? '').slice(colon + 1)];
      });
      compiled = { ...made, at };
      byCount.set(rows.length, compiled);
    }
    const { base, slots, at } = compiled;
    return {
      ...base,
      parameters: slots.map((slot, i) => {
        if (slot === null) return base.parameters[i];
        const [row, column] = at[i] as [number, string];
        return (rows[row] as Row)[column];
      }),
    } as CompiledQuery<R>;
  };
}
