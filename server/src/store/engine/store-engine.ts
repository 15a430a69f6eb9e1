import type { Kysely } from 'kysely';
import type { DB } from '../schema.js';
import type { Work } from './work.js';

export type EngineKind = 'sqlite' | 'postgres';

/**
 * Where the stores' data lives: SQLite (one file, embedded; the default) or PostgreSQL
 * (several servers). Store code builds its queries with `db` (Kysely, typed by schema.ts),
 * writes them once as `Work`, and the engine runs them:
 * - SQLite synchronously, each write transaction begun IMMEDIATE (several processes on one
 *   file take turns), each SQL text prepared once;
 * - PostgreSQL on a pool, a transaction on one connection, tried again when the database
 *   chose it as a deadlock's or serialisation's victim.
 * So a method answers at once on SQLite and later on PostgreSQL (`T | Promise<T>`), which the
 * domain code awaits either way (`Eventually`, server-stores.ts). Where the engines differ
 * (row locks, time and JSON functions), the store asks `kind`.
 */
export interface StoreEngine {
  readonly kind: EngineKind;
  /** Builds and compiles queries for this engine; it never runs them itself. */
  readonly db: Kysely<DB>;
  /** Transactions that can run at once: 1 on SQLite (one writer), the pool's size on PostgreSQL. */
  readonly connections: number;
  now(): Date;
  /** Runs the work, each statement on its own (reads, or one statement). */
  run<T>(work: Work<T>): T | Promise<T>;
  /** Runs the work in one transaction: all of it is stored, or none. */
  transaction<T>(work: () => Work<T>): T | Promise<T>;
  close(): void | Promise<void>;
}

/** What a store method run on engine E gives: the answer itself on SQLite, a promise on PostgreSQL. */
export type Answer<E extends StoreEngine, T> = E['kind'] extends 'sqlite' ? T : T | Promise<T>;
