import { join } from 'node:path';
import {
  type Clock,
  DEFAULT_SETTINGS,
  MIGRATIONS,
  type PipelineSettings,
  TapPipeline,
  TerminalStore,
} from '@ccus-gate/firmware';
import type { CardEvent, PatternName } from '@ccus-gate/hardware';
import { parseCardRef, parseSiteId, parseWorkerId } from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const known = parseCardRef('012E4CD3A1B2C3D4');
const worker = parseWorkerId('10000000000001');

function fakeClock(start: string): Clock & { advance(ms: number): void } {
  let wall = Date.parse(start);
  let mono = 1_000;
  return {
    bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
    now: () => new Date(wall),
    monotonicMs: () => mono,
    sync: () => ({ synced: true, source: 'system' }),
    advance(ms: number) {
      wall += ms;
      mono += ms;
    },
  };
}

function card(id: string, reader = 'sim'): CardEvent {
  const ref = parseCardRef(id);
  return {
    tech: ref.tech,
    id: ref.id,
    reader,
    details:
      ref.tech === 'felica'
        ? { tech: 'felica', idm: ref.id, pmm: null, systemCode: null }
        : { tech: 'mifare', uid: ref.id, sak: null, atqa: null },
  };
}

describe('tap pipeline', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: TerminalStore;
  let clock: ReturnType<typeof fakeClock>;
  let patterns: PatternName[];
  let online: boolean;
  const pipeline = (settings: Partial<PipelineSettings> = {}): TapPipeline =>
    new TapPipeline(
      { clock, store, online: () => online, feedback: (pattern) => patterns.push(pattern) },
      { ...DEFAULT_SETTINGS, ...settings },
    );

  beforeEach(() => {
    dir = tempDir('pipeline');
    store = TerminalStore.open(join(dir.path, 'terminal.db'));
    store.applyRoster({
      v: 1,
      siteId: parseSiteId('11'),
      version: 1,
      issuedAt: '2026-11-24T00:00:00Z',
      entries: [{ card: known, workerId: worker }],
    });
    // 08:00 in Tokyo, on a machine that runs in UTC.
    clock = fakeClock('2026-11-23T23:00:00Z');
    patterns = [];
    online = true;
  });

  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('toggles entry then exit for a worker within a working day, and starts again the next day', () => {
    const p = pipeline({ debounceMs: 10_000 });
    expect(p.handleCard(card(known.id)).kind).toBe('entry');
    clock.advance(9 * 3600_000);
    expect(p.handleCard(card(known.id)).kind).toBe('exit');
    clock.advance(15 * 3600_000); // next morning 08:00
    expect(p.handleCard(card(known.id)).kind).toBe('entry');
    expect(patterns).toEqual(['entry', 'exit', 'entry']);
    const tap = store.tap(3);
    expect(tap).toMatchObject({
      seq: 3,
      workerId: worker,
      direction: 'in',
      workingDay: '2026-11-25',
      state: 'pending',
    });
  });

  it('closes a night shift with an exit after the day boundary, within the maximum shift, and not past it', () => {
    const p = pipeline({ debounceMs: 10_000, maxShiftMs: 16 * 3600_000 });
    clock.advance(13.5 * 3600_000); // 21:30
    expect(p.handleCard(card(known.id)).kind).toBe('entry');
    clock.advance(8 * 3600_000); // 05:30 next morning: after the 04:00 boundary
    expect(p.handleCard(card(known.id)).kind).toBe('exit');
    expect(store.tap(2)).toMatchObject({ direction: 'out', workingDay: '2026-11-25', flags: ['toggle'] });
    // An entry forgotten at the gate: 17 hours on, the next tap starts a new shift.
    clock.advance(15 * 3600_000); // 20:30
    expect(p.handleCard(card(known.id)).kind).toBe('entry');
    clock.advance(17 * 3600_000); // 13:30 the day after
    expect(p.handleCard(card(known.id)).kind).toBe('entry');
  });

  it('records a tap on the other reader of a two-reader gate within the window as a correction', () => {
    const p = pipeline({ directionMode: 'two-reader', readerDirections: { a: 'in', b: 'out' }, debounceMs: 10_000 });
    expect(p.handleCard(card(known.id, 'b')).kind).toBe('exit');
    clock.advance(3_000);
    expect(p.handleCard(card(known.id, 'b')).kind).toBe('already');
    expect(p.handleCard(card(known.id, 'a')).kind).toBe('entry');
    expect(store.tap(2)).toMatchObject({ direction: 'in', flags: ['reader_correction'] });
    clock.advance(10_000);
    expect(p.handleCard(card(known.id, 'b')).kind).toBe('exit');
    expect(store.tap(3)).toMatchObject({ direction: 'out', flags: [] });
  });

  it('answers "already recorded" to the same card within the window and records nothing', () => {
    const p = pipeline({ debounceMs: 10_000 });
    p.handleCard(card(known.id));
    clock.advance(9_999);
    expect(p.handleCard(card(known.id)).kind).toBe('already');
    expect(p.handleCard(card('04A2B3C4')).kind).toBe('unknown');
    expect(store.counts().pending).toBe(2);
    expect(patterns).toEqual(['entry', 'already', 'unknown']);
  });

  it('records and flags an unknown card by default, refuses it when told to', () => {
    const outcome = pipeline().handleCard(card('04A2B3C4D5E6F7'));
    expect(outcome.kind).toBe('unknown');
    expect(store.tap(1)).toMatchObject({ workerId: null, flags: ['unknown_card', 'toggle'] });
    expect(pipeline({ unknownCard: 'refuse' }).handleCard(card('04A2B3C4D5E6F8')).kind).toBe('refused');
    expect(store.counts().pending).toBe(1);
  });

  it('takes the direction from the reader on a two-reader gate', () => {
    const p = pipeline({
      directionMode: 'two-reader',
      readerDirections: { gateIn: 'in', gateOut: 'out' },
      debounceMs: 0,
    });
    expect(p.handleCard(card(known.id, 'gateOut')).kind).toBe('exit');
    expect(p.handleCard(card(known.id, 'gateIn')).kind).toBe('entry');
  });

  it('shows the offline pattern when the server is out of reach, still recording', () => {
    online = false;
    const outcome = pipeline().handleCard(card(known.id));
    expect(outcome).toMatchObject({ kind: 'entry', offline: true });
    expect(patterns).toEqual(['offline']);
    expect(store.counts().pending).toBe(1);
  });

  it('never reuses a sequence number, even after delivered taps are gone and the store reopens', () => {
    const p = pipeline({ debounceMs: 0, directionMode: 'in' });
    p.handleCard(card(known.id));
    p.handleCard(card(known.id));
    store.settle({ from: 1, to: 2 }, [], clock.now());
    store.close();
    store = TerminalStore.open(join(dir.path, 'terminal.db'));
    const outcome = pipeline({ debounceMs: 0 }).handleCard(card(known.id));
    expect('tap' in outcome && outcome.tap.seq).toBe(3);
  });

  it('settles only pending taps in the acked range and keeps rejections with their reason', () => {
    const p = pipeline({ debounceMs: 0, directionMode: 'in' });
    for (let i = 0; i < 3; i++) p.handleCard(card(known.id));
    const settled = store.settle(
      { from: 1, to: 2 },
      [{ seq: 2, reason: 'conflict', message: 'seen before' }],
      clock.now(),
    );
    expect(settled.map((s) => [s.seq, s.state])).toEqual([
      [1, 'delivered'],
      [2, 'rejected'],
    ]);
    expect(store.settle({ from: 1, to: 2 }, [], clock.now())).toEqual([]);
    expect(store.counts()).toEqual({ pending: 1, delivered: 1, rejected: 1 });
  });

  it('counts its taps again when reopened, also a store from before the count indexes', () => {
    const p = pipeline({ debounceMs: 0, directionMode: 'in' });
    for (let i = 0; i < 4; i++) p.handleCard(card(known.id));
    store.settle({ from: 1, to: 3 }, [{ seq: 3, reason: 'conflict', message: 'seen before' }], clock.now());
    store.close();
    // As firmware before migration 3 left it.
    const path = join(dir.path, 'terminal.db');
    const old = new Database(path);
    old.exec('DROP INDEX taps_rejected');
    old.exec('DROP INDEX roster_worker');
    old.pragma('user_version = 2');
    old.close();

    store = TerminalStore.open(path);
    expect(store.counts()).toEqual({ pending: 1, delivered: 2, rejected: 1 });
    expect(store.summary().schemaVersion).toBe(MIGRATIONS.length);
    store.close();
    store = TerminalStore.open(path);
    expect(store.counts()).toEqual({ pending: 1, delivered: 2, rejected: 1 });
  });
});
