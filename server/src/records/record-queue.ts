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
 * worker's shifts again there, since an exit may close the day before. `fromMs`, when given,
 * is the earliest tap that changed (new taps): pairing then starts just before it, not at the
 * day's start. Several changes to one day keep the earliest; one without a time, the whole day.
 */
export function queueRecords(db: SqliteDb, keys: Iterable<RecordKey & { fromMs?: number }>): void {
  const queue = db.sql(
    `INSERT INTO record_queue (site_id, worker_id, working_day, from_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET from_ms = CASE WHEN record_queue.from_ms IS NULL OR excluded.from_ms IS NULL THEN NULL
       ELSE min(record_queue.from_ms, excluded.from_ms) END`,
  );
  for (const key of keys) queue.run(key.siteId, key.workerId, key.workingDay, key.fromMs ?? null);
}

/** Every record the worker has at the site (a roster place or trade changed). */
export function queueWorkerRecords(db: SqliteDb, siteId: string, workerId: string): void {
  db.sql(
    `INSERT INTO record_queue (site_id, worker_id, working_day)
       SELECT site_id, worker_id, working_day FROM records WHERE site_id = ? AND worker_id = ?
     ON CONFLICT DO UPDATE SET from_ms = NULL`,
  ).run(siteId, workerId);
}

/** How many records wait to be built. */
export function queuedRecords(db: SqliteDb): number {
  return (db.sql('SELECT count(*) AS n FROM record_queue').get() as { n: number }).n;
}
