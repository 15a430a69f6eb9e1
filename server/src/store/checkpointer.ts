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
  readonly #exited: Promise<void>;

  constructor(path: string, options: { intervalMs?: number; onError?: (message: string) => void } = {}) {
    this.#worker = new Worker(workerUrl(), { workerData: { path, intervalMs: options.intervalMs ?? 250 } });
    this.#worker.on('message', (message: { type: string; message: string }) => options.onError?.(message.message));
    this.#worker.on('error', (error) => options.onError?.(error.message));
    this.#worker.unref();
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
  }

  async stop(): Promise<void> {
    this.#worker.postMessage({ type: 'stop' });
    await this.#exited;
  }
}
