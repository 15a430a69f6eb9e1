import type { Answer, StoreEngine } from './store-engine.js';
import type { Work } from './work.js';

/**
 * What every store written for both engines starts from: its engine, the query builder, the
 * time, and its work run (one statement at a time, or as one transaction) with the answer typed
 * for the engine: at once on SQLite, later on PostgreSQL.
 */
export abstract class EngineStore<E extends StoreEngine = StoreEngine> {
  protected readonly engine: E;

  constructor(engine: E) {
    this.engine = engine;
  }

  protected get db(): E['db'] {
    return this.engine.db;
  }

  protected iso(): string {
    return this.engine.now().toISOString();
  }

  protected run<T>(work: Work<T>): Answer<E, T> {
    return this.engine.run(work) as Answer<E, T>;
  }

  protected transaction<T>(work: () => Work<T>): Answer<E, T> {
    return this.engine.transaction(work) as Answer<E, T>;
  }
}
