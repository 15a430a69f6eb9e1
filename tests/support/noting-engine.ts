import type { Outcome, StoreEngine, Work } from '@ccus-gate/server';
import type { CompiledQuery } from 'kysely';

/** A statement run outside a transaction (`run`), with what it answered. */
export interface NotedAlone {
  query: CompiledQuery;
  outcome: Outcome;
}

/**
 * The engine, noting in `seen` every statement the stores run on it (for tests of their plans),
 * and in `alone` those run outside a transaction with their answers.
 */
export function notingEngine(engine: StoreEngine, seen: CompiledQuery[], alone: NotedAlone[] = []): StoreEngine {
  function* note<T>(work: Work<T>, outside: boolean): Work<T> {
    let step = work.next();
    while (step.done !== true) {
      const query = step.value;
      seen.push(query);
      try {
        const outcome = yield query;
        if (outside) alone.push({ query, outcome });
        step = work.next(outcome);
      } catch (error) {
        step = work.throw(error);
      }
    }
    return step.value;
  }
  return {
    kind: engine.kind,
    db: engine.db,
    connections: engine.connections,
    now: () => engine.now(),
    run: (work) => engine.run(note(work, true)),
    transaction: (work) => engine.transaction(() => note(work(), false)),
    close: () => engine.close(),
  };
}
