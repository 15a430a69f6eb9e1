import { ccusDeadline, ccusToday, workingDay } from '@ccus-gate/protocol';
import type { CcusOutbox } from '../ccus/outbox-store.js';
import { queueRecords } from '../records/record-queue.js';
import { redateTap, untrustedTaps } from '../records/redate-taps.js';
import { workerRole } from '../records/worker-role.js';
import type { Position } from '../store/directory-store.js';
import type { SqliteEngine } from '../store/engine/sqlite-engine.js';
import type { RecordKey } from '../store/record-queries.js';
import type { SqliteDb } from '../store/sqlite-db.js';
import { StoreError } from '../store/store-error.js';

/** A change to a record's times, as a person gives it. */
export interface TimesChange extends RecordKey {
  firstIn: string | null;
  lastOut: string | null;
  reason: string;
}

/** What a correction changes, by kind; kept as the correction's `after`. */
export type Change =
  | {
      kind: 'add_day' | 'set_times' | 'confirm_clock';
      firstIn: string | null;
      lastOut: string | null;
      /** Filed by the worker through their personal link (self-view/), not by a person at a tenant. */
      byWorker?: true;
    }
  | { kind: 'set_trade'; trade: string | null; position: Position | null }
  | { kind: 'void_tap'; terminalId: string; seq: number }
  | { kind: 'set_tap_time'; terminalId: string; seq: number; at: string };

/*
 * What each kind of correction may be, and what it does to taps and records once applied. The
 * correction store keeps who proposed, approved and why; this decides and applies.
 */

/** Whether the change may be made now: CCUS still takes the day it is for, and times fit it. */
export function checkChange(db: SqliteDb, key: RecordKey, change: Change): void {
  switch (change.kind) {
    case 'add_day':
    case 'set_times':
    case 'confirm_clock':
      checkTimes(db, { ...key, firstIn: change.firstIn, lastOut: change.lastOut, reason: '' });
      return;
    case 'set_trade':
      checkOpen(db, key.workingDay);
      if (change.trade !== null) checkTrade(db, key, change.trade);
      return;
    case 'set_tap_time': {
      const at = Date.parse(change.at);
      if (at > db.now().getTime()) throw new StoreError('invalid', `${change.at} is in the future`, 'at');
      checkOpen(db, dayAt(db, key.siteId, change.at), 'at');
      return;
    }
    case 'void_tap':
      return;
  }
}

/** CCUS still takes input for the day: not in the future, not past the end of the month after it. */
function checkOpen(db: SqliteDb, day: string, field = 'workingDay'): void {
  const today = ccusToday(db.now());
  if (day > today) throw new StoreError('invalid', `${day} is in the future`, field);
  const deadline = ccusDeadline(day);
  if (today > deadline)
    throw new StoreError('invalid', `CCUS took input for ${day} until ${deadline}; it is closed`, field);
}

function checkTrade(db: SqliteDb, key: RecordKey, trade: string): void {
  const registered = db.engine.run(workerRole(db.engine, key)).registeredTrades;
  if (registered.length > 0 && !registered.includes(trade)) {
    throw new StoreError(
      'invalid',
      `worker ${key.workerId} is registered for ${registered.join(', ')}, not ${trade}`,
      'trade',
    );
  }
}

function dayAt(db: SqliteDb, siteId: string, at: string): string {
  const rule = db.sql('SELECT time_zone, day_boundary FROM sites WHERE site_id = ?').get(siteId) as {
    time_zone: string;
    day_boundary: string;
  };
  return workingDay(new Date(at), { timeZone: rule.time_zone, dayBoundary: rule.day_boundary });
}

/**
 * Times must lie in the working day they are for (an exit may run past the day boundary
 * within the site's maximum shift, as a night shift does), entry before exit, within CCUS's
 * deadline.
 */
export function checkTimes(db: SqliteDb, change: TimesChange): void {
  checkOpen(db, change.workingDay);
  const site = db.sql('SELECT max_shift_hours FROM sites WHERE site_id = ?').get(change.siteId) as {
    max_shift_hours: number;
  };
  if (change.firstIn !== null) {
    const day = dayAt(db, change.siteId, change.firstIn);
    if (day !== change.workingDay) {
      throw new StoreError(
        'invalid',
        `firstIn ${change.firstIn} falls on working day ${day}, not ${change.workingDay}`,
        'firstIn',
      );
    }
  }
  if (change.lastOut !== null) {
    const day = dayAt(db, change.siteId, change.lastOut);
    const withinShift =
      change.firstIn !== null &&
      Date.parse(change.lastOut) - Date.parse(change.firstIn) <= site.max_shift_hours * 3_600_000;
    if (day !== change.workingDay && !withinShift) {
      throw new StoreError(
        'invalid',
        `lastOut ${change.lastOut} falls on working day ${day}, not ${change.workingDay}, and is more than ${site.max_shift_hours} hours after the entry`,
        'lastOut',
      );
    }
  }
  if (change.firstIn !== null && change.lastOut !== null && Date.parse(change.lastOut) <= Date.parse(change.firstIn)) {
    throw new StoreError('invalid', 'lastOut must be after firstIn', 'lastOut');
  }
}

export function applyChange(
  db: SqliteDb,
  outbox: CcusOutbox<SqliteEngine>,
  id: number,
  key: RecordKey,
  change: Change,
): void {
  const touched: RecordKey[] = [key];
  switch (change.kind) {
    case 'add_day':
    case 'set_times':
    case 'confirm_clock':
      db.sql(
        `INSERT INTO record_overrides (site_id, worker_id, working_day, first_in, last_out, correction_id)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
             first_in = excluded.first_in, last_out = excluded.last_out, correction_id = excluded.correction_id`,
      ).run(key.siteId, key.workerId, key.workingDay, change.firstIn, change.lastOut, id);
      break;
    case 'set_trade':
      db.sql(
        `INSERT INTO record_overrides (site_id, worker_id, working_day, trade, position, correction_id)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (site_id, worker_id, working_day) DO UPDATE SET
             trade = excluded.trade, position = excluded.position, correction_id = excluded.correction_id`,
      ).run(key.siteId, key.workerId, key.workingDay, change.trade, change.position, id);
      break;
    case 'void_tap':
      db.sql('UPDATE taps SET void_correction = ? WHERE terminal_id = ? AND seq = ?').run(
        id,
        change.terminalId,
        change.seq,
      );
      break;
    case 'set_tap_time': {
      const tap = db
        .sql('SELECT boot_id, mono FROM taps WHERE terminal_id = ? AND seq = ?')
        .get(change.terminalId, change.seq) as { boot_id: string; mono: number };
      const offsetMs = Date.parse(change.at) - tap.mono;
      for (const row of db.engine.run(untrustedTaps(db.engine, change.terminalId, tap.boot_id))) {
        const moved = db.engine.run(redateTap(db.engine, row, offsetMs));
        if (moved.workerId === null) continue;
        for (const day of moved.days) touched.push({ siteId: moved.siteId, workerId: moved.workerId, workingDay: day });
      }
      break;
    }
  }
  // A person has fixed it: a record CCUS refused may go again.
  outbox.release(key, ['refused']);
  db.engine.run(queueRecords(db.engine, touched));
}
