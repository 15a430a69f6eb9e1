import { type Compilable, type CompiledQuery, isCompilable } from 'kysely';
import { fromConstraint } from '../store-error.js';

/** What the engine answers for one statement: the rows it returned, and how many it changed. */
export interface Outcome {
  rows: unknown[];
  affected: number;
}

/**
 * Store code written once for both engines: a generator that yields each query (built and
 * compiled by Kysely) and receives its outcome. SQLite runs it to the end synchronously on
 * the server's one connection, so a transaction never waits on the event loop and nothing else
 * runs inside it; PostgreSQL awaits each query on a pooled connection. See store-engine.ts.
 */
export type Work<T> = Generator<CompiledQuery, T, Outcome>;

const compiled = (query: Compilable | CompiledQuery): CompiledQuery => (isCompilable(query) ? query.compile() : query);

/** Every row the query returns, typed as Kysely built it. */
export function* rows<R>(query: Compilable<R> | CompiledQuery<R>): Work<R[]> {
  return (yield compiled(query)).rows as R[];
}

/** The first row the query returns, if any. */
export function* firstRow<R>(query: Compilable<R> | CompiledQuery<R>): Work<R | undefined> {
  return (yield compiled(query)).rows[0] as R | undefined;
}

/** Runs a statement; how many rows it inserted, changed or deleted. */
export function* execute(query: Compilable | CompiledQuery): Work<number> {
  return (yield compiled(query)).affected;
}

/** Every row the query returns, each made into what the store answers. */
export function* mapRows<R, T>(query: Compilable<R> | CompiledQuery<R>, map: (row: R) => T): Work<T[]> {
  return (yield* rows(query)).map(map);
}

/** The first row the query returns made into what the store answers, or null when there is none. */
export function* mapFirst<R, T>(query: Compilable<R> | CompiledQuery<R>, map: (row: R) => T): Work<T | null> {
  const row = yield* firstRow(query);
  return row === undefined ? null : map(row);
}

/** Runs a change that must touch a row; `missing` says what was not there when none was. */
export function* mustChange(query: Compilable | CompiledQuery, missing: () => Error): Work<void> {
  if ((yield* execute(query)) === 0) throw missing();
}

/** The work's answer made into another. */
export function* mapWork<A, B>(work: Work<A>, map: (answer: A) => B): Work<B> {
  return map(yield* work);
}

/** A page's LIMIT: SQLite's "no limit" is -1, PostgreSQL has none; the largest safe number means the same on both. */
export const pageLimit = (limit: number | undefined): number =>
  limit === undefined || limit < 0 ? Number.MAX_SAFE_INTEGER : limit;

/**
 * Runs an insert or change whose refusal by a constraint is the caller's to name: a key taken
 * is a `conflict`, a reference to nothing `invalid`, each naming `what` (store-error.ts).
 */
export function* refusing(query: Compilable | CompiledQuery, what: string, field: string | null = null): Work<number> {
  try {
    return yield* execute(query);
  } catch (error) {
    throw fromConstraint(error, what, field);
  }
}
