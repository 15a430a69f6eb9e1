import { ccusDeadline, ccusToday, workingDay } from '@ccus-gate/protocol';
import type { OutboxSteps } from '../ccus/outbox-store.js';
import { queueRecords } from '../records/record-queue.js';
import { redateTap, untrustedTaps } from '../records/redate-taps.js';
import { workerRole } from '../records/worker-role.js';
import type { Position } from '../store/directory-store.js';
import type { StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, type Work } from '../store/engine/work.js';
import type { RecordKey } from '../store/record-queries.js';
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
export function* checkChange(engine: StoreEngine, key: RecordKey, change: Change): Work<void> {
  switch (change.kind) {
    case 'add_day':
    case 'set_times':
    case 'confirm_clock':
      yield* checkTimes(engine, { ...key, firstIn: change.firstIn, lastOut: change.lastOut, reason: '' });
      return;
    case 'set_trade':
      checkOpen(engine, key.workingDay);
      if (change.trade !== null) yield* checkTrade(engine, key, change.trade);
      return;
    case 'set_tap_time': {
      const at = Date.parse(change.at);
      if (at > engine.now().getTime()) throw new StoreError('invalid', `${change.at} is in the future`, 'at');
      const site = yield* siteRule(engine, key.siteId);
      checkOpen(engine, dayAt(site, change.at), 'at');
      return;
    }
    case 'void_tap':
      return;
  }
}

/** CCUS still takes input for the day: not in the future, not past the end of the month after it. */
function checkOpen(engine: StoreEngine, day: string, field = 'workingDay'): void {
  const today = ccusToday(engine.now());
  if (day > today) throw new StoreError('invalid', `${day} is in the future`, field);
  const deadline = ccusDeadline(day);
  if (today > deadline)
    throw new StoreError('invalid', `CCUS took input for ${day} until ${deadline}; it is closed`, field);
}

function* checkTrade(engine: StoreEngine, key: RecordKey, trade: string): Work<void> {
  const registered = (yield* workerRole(engine, key)).registeredTrades;
  if (registered.length > 0 && !registered.includes(trade)) {
    throw new StoreError(
      'invalid',
      `worker ${key.workerId} is registered for ${registered.join(', ')}, not ${trade}`,
      'trade',
    );
  }
}

interface SiteRule {
  time_zone: string;
  day_boundary: string;
  max_shift_hours: number;
}

function* siteRule(engine: StoreEngine, siteId: string): Work<SiteRule> {
  const site = yield* firstRow(
    engine.db
      .selectFrom('sites')
      .select(['time_zone', 'day_boundary', 'max_shift_hours'])
      .where('site_id', '=', siteId),
  );
  if (site === undefined) throw new StoreError('not_found', `no site ${siteId}`, 'siteId');
  return site;
}

const dayAt = (site: SiteRule, at: string): string =>
  workingDay(new Date(at), { timeZone: site.time_zone, dayBoundary: site.day_boundary });

/**
 * Times must lie in the working day they are for (an exit may run past the day boundary
 * within the site's maximum shift, as a night shift does), entry before exit, within CCUS's
 * deadline.
 */
export function* checkTimes(engine: StoreEngine, change: TimesChange): Work<void> {
  checkOpen(engine, change.workingDay);
  const site = yield* siteRule(engine, change.siteId);
  if (change.firstIn !== null) {
    const day = dayAt(site, change.firstIn);
    if (day !== change.workingDay) {
      throw new StoreError(
        'invalid',
        `firstIn ${change.firstIn} falls on working day ${day}, not ${change.workingDay}`,
        'firstIn',
      );
    }
  }
  if (change.lastOut !== null) {
    const day = dayAt(site, change.lastOut);
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

export function* applyChange(
  engine: StoreEngine,
  outbox: OutboxSteps,
  id: number,
  key: RecordKey,
  change: Change,
): Work<void> {
  const { db } = engine;
  const touched: RecordKey[] = [key];
  const override = { site_id: key.siteId, worker_id: key.workerId, working_day: key.workingDay, correction_id: id };
  switch (change.kind) {
    case 'add_day':
    case 'set_times':
    case 'confirm_clock':
      yield* execute(
        db
          .insertInto('record_overrides')
          .values({ ...override, first_in: change.firstIn, last_out: change.lastOut })
          .onConflict((conflict) =>
            conflict.columns(['site_id', 'worker_id', 'working_day']).doUpdateSet((eb) => ({
              first_in: eb.ref('excluded.first_in'),
              last_out: eb.ref('excluded.last_out'),
              correction_id: eb.ref('excluded.correction_id'),
            })),
          ),
      );
      break;
    case 'set_trade':
      yield* execute(
        db
          .insertInto('record_overrides')
          .values({ ...override, trade: change.trade, position: change.position })
          .onConflict((conflict) =>
            conflict.columns(['site_id', 'worker_id', 'working_day']).doUpdateSet((eb) => ({
              trade: eb.ref('excluded.trade'),
              position: eb.ref('excluded.position'),
              correction_id: eb.ref('excluded.correction_id'),
            })),
          ),
      );
      break;
    case 'void_tap':
      yield* execute(
        db
          .updateTable('taps')
          .set({ void_correction: id })
          .where('terminal_id', '=', change.terminalId)
          .where('seq', '=', change.seq),
      );
      break;
    case 'set_tap_time': {
      const tap = yield* firstRow(
        db
          .selectFrom('taps')
          .select(['boot_id', 'mono'])
          .where('terminal_id', '=', change.terminalId)
          .where('seq', '=', change.seq),
      );
      if (tap === undefined) throw new StoreError('not_found', `no tap ${change.terminalId}/${change.seq}`, 'seq');
      const offsetMs = Date.parse(change.at) - tap.mono;
      for (const row of yield* untrustedTaps(engine, change.terminalId, [tap.boot_id])) {
        const moved = yield* redateTap(engine, row, offsetMs);
        if (moved.workerId === null) continue;
        for (const day of moved.days) touched.push({ siteId: moved.siteId, workerId: moved.workerId, workingDay: day });
      }
      break;
    }
  }
  // A person has fixed it: a record CCUS refused may go again.
  yield* outbox.release(key, ['refused']);
  yield* queueRecords(engine, touched);
}
