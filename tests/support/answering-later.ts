import type { Eventually } from '@ccus-gate/server';

/**
 * A repository that answers every call on a later turn of the event loop, as a database
 * reached over a network (PostgreSQL) would: running the domain code on it shows that
 * the code awaits every answer instead of counting on SQLite's synchronous one.
 */
export function answeringLater<T extends object>(target: T, nested: readonly string[] = []): Eventually<T> {
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver);
      if (typeof key === 'string' && nested.includes(key) && typeof value === 'object' && value !== null) {
        return answeringLater(value);
      }
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          setImmediate(() => {
            try {
              resolve(value.apply(object, args));
            } catch (error) {
              reject(error);
            }
          });
        });
    },
  }) as unknown as Eventually<T>;
}
