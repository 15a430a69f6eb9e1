import type { StoreEngine, Work } from '@ccus-gate/server';
import type { CompiledQuery } from 'kysely';

/** The engine, noting in `seen` every statement the stores run on it: for tests of their plans. */
export function notingEngine(engine: StoreEngine, seen: CompiledQuery[]): StoreEngine {
  function* note<T>(work: Work<T>): Work<T> {
    let step = work.next();
    while (step.done !== true) {
      seen.push(step.value);
      try {
        step = work.next(yield step.value);
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
    run: (work) => engine.run(note(work)),
    transaction: (work) => engine.transaction(() => note(work())),
    close: () => engine.close(),
  };
}
