import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** The worker script beside this module, or its compiled twin in dist/ when this runs from src/ (tests). */
function workerUrl(): URL {
  const beside = new URL('./checkpoint-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL(beside.href.replace('/server/src/', '/server/dist/'));
}

/** A background thread checkpointing the database's write-ahead log (see checkpoint-worker.ts). */
export class Checkpointer {
  readonly #worker: Worker;
  readonly #closed = new Int32Array(new SharedArrayBuffer(4));

  constructor(path: string, options: { intervalMs?: number; onError?: (message: string) => void } = {}) {
    this.#worker = new Worker(workerUrl(), {
      workerData: { path, intervalMs: options.intervalMs ?? 250, closed: this.#closed.buffer },
    });
    this.#worker.on('message', (message: { type: string; message: string }) => options.onError?.(message.message));
    this.#worker.on('error', (error) => options.onError?.(error.message));
    this.#worker.unref();
  }

  /**
   * Closes the thread's connection and returns once it is closed (blocking for at most 2 s),
   * so that the database files are the caller's again: moved, removed, reopened.
   */
  stop(): void {
    this.#worker.postMessage({ type: 'stop' });
    Atomics.wait(this.#closed, 0, 0, 2_000);
  }
}
