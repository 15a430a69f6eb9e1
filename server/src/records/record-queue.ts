import type { SqliteDb } from '../store/sqlite-db.js';

/** A work record's identity: one worker, one site, one working day. */
export interface RecordKey {
  siteId: string;
  workerId: string;
  workingDay: string;
}

/**
 * The worker-days whose records must be built again: written in the same transaction as the
 * change that calls for it (taps stored, a card bound, a roster place, a correction), so a crash
 * in between loses nothing. A queued day means "around this day": the rebuild pairs the
 * worker's whole stretch of shifts there, since an exit may close the day before.
 */
export function queueRecords(db: SqliteDb, keys: Iterable<RecordKey>): void {
  const queue = db.sql(
    'INSERT INTO record_queue (site_id, worker_id, working_day) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  for (const key of keys) queue.run(key.siteId, key.workerId, key.workingDay);
}

/** Every record the worker has at the site (a roster place or trade changed). */
export function queueWorkerRecords(db: SqliteDb, siteId: string, workerId: string): void {
  db.sql(
    `INSERT INTO record_queue (site_id, worker_id, working_day)
       SELECT site_id, worker_id, working_day FROM records WHERE site_id = ? AND worker_id = ?
     ON CONFLICT DO NOTHING`,
  ).run(siteId, workerId);
}

/** How many records wait to be built. */
export function queuedRecords(db: SqliteDb): number {
  return (db.sql('SELECT count(*) AS n FROM record_queue').get() as { n: number }).n;
}
