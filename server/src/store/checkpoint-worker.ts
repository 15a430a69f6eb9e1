import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * Copies the write-ahead log back into the database file, on its own thread and its own
 * connection, so the thread that stores tap batches never stalls on a checkpoint. PASSIVE:
 * it takes no lock a writer waits for; what it cannot copy now it copies next time.
 */
const { path, intervalMs, closed } = workerData as { path: string; intervalMs: number; closed: SharedArrayBuffer };
const db = new Database(path);
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort?.postMessage({ type: 'error', message: (error as Error).message });
  }
}, intervalMs);
parentPort?.on('message', (message: { type: string }) => {
  if (message.type !== 'stop') return;
  clearInterval(timer);
  db.close();
  // The main thread waits on this flag, so closing the store is done when close() returns.
  const flag = new Int32Array(closed);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  parentPort?.close();
});
