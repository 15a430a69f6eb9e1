import { join } from 'node:path';
import { type NewTap, StoreError, TerminalStore } from '@ccus-gate/firmware';
import { DEFAULT_WORKING_DAY_RULE, parseCardRef, parseWorkerId, workingDay } from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';

function newTap(i: number, overrides: Partial<NewTap> = {}): NewTap {
  return {
    card: parseCardRef('012E4CD3A1B2C3D4'),
    workerId: parseWorkerId('10000000000001'),
    direction: i % 2 === 0 ? 'in' : 'out',
    at: new Date(Date.UTC(2026, 10, 23, 23, 0, i)),
    workingDay: '2026-11-24',
    bootId: BOOT,
    mono: 1_000 + i * 1_000,
    clockSynced: true,
    flags: [],
    ...overrides,
  };
}

describe('terminal store', () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let store: TerminalStore;

  beforeEach(() => {
    dir = tempDir('store');
    path = join(dir.path, 'terminal.db');
    store = TerminalStore.open(path);
  });

  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('numbers taps from 1 and never reuses a number, across restarts and pruning', () => {
    for (let i = 0; i < 3; i++) store.commitTap(newTap(i));
    store.settle({ from: 1, to: 3 }, [], new Date('2026-01-01T00:00:00Z'));
    expect(store.prune(new Date('2026-06-01T00:00:00Z'))).toBe(3);
    store.close();
    store = TerminalStore.open(path);
    expect(store.commitTap(newTap(3)).seq).toBe(4);
    expect(store.counts()).toEqual({ pending: 1, delivered: 0, rejected: 0 });
  });

  it('keeps its counts in step with the rows, also after reopening', () => {
    for (let i = 0; i < 5; i++) store.commitTap(newTap(i));
    store.settle({ from: 1, to: 3 }, [{ seq: 2, reason: 'conflict', message: 'seen with other content' }], new Date());
    store.settle({ from: 1, to: 3 }, [], new Date()); // a repeated ack changes nothing
    expect(store.counts()).toEqual({ pending: 2, delivered: 2, rejected: 1 });
    store.close();
    store = TerminalStore.open(path);
    expect(store.counts()).toEqual({ pending: 2, delivered: 2, rejected: 1 });
    expect(store.rejections()).toEqual([
      expect.objectContaining({ seq: 2, reason: 'conflict: seen with other content' }),
    ]);
  });

  it('prunes only delivered taps past retention, in batches of the size asked for', () => {
    for (let i = 0; i < 7; i++) store.commitTap(newTap(i));
    store.settle(
      { from: 1, to: 4 },
      [{ seq: 4, reason: 'invalid_tap', message: 'in the future' }],
      new Date('2026-01-01T00:00:00Z'),
    );
    store.settle({ from: 5, to: 5 }, [], new Date('2026-11-01T00:00:00Z'));
    const cutoff = new Date('2026-06-01T00:00:00Z');
    expect(store.prune(cutoff, 2)).toBe(2);
    expect(store.prune(cutoff, 2)).toBe(1);
    expect(store.prune(cutoff, 2)).toBe(0);
    // The rejected tap, the recent delivered one and the two pending ones stay.
    expect([4, 5, 6, 7].map((seq) => store.tap(seq)?.state)).toEqual(['rejected', 'delivered', 'pending', 'pending']);
    expect([1, 2, 3].map((seq) => store.tap(seq))).toEqual([null, null, null]);
    expect(store.counts()).toEqual({ pending: 2, delivered: 1, rejected: 1 });
  });

  it('corrects the pending unsynchronised taps of one boot from monotonic time, keeping the first wall time', () => {
    // The Pi booted believing it was 1970; the taps happened in Tokyo on the evening of 2026-11-24.
    const wrong = (mono: number) => new Date(mono);
    const a = store.commitTap(
      newTap(0, { at: wrong(5_000), mono: 5_000, clockSynced: false, workingDay: '1970-01-01' }),
    );
    const b = store.commitTap(
      newTap(1, { at: wrong(9_000), mono: 9_000, clockSynced: false, workingDay: '1970-01-01' }),
    );
    const other = store.commitTap(
      newTap(2, { bootId: 'a1b2c3d4-0000-4000-8000-000000000000', at: wrong(7_000), mono: 7_000, clockSynced: false }),
    );
    store.settle({ from: a.seq, to: a.seq }, [], new Date()); // already delivered: the server corrects it
    // Synced at mono 60_000, which is 2026-11-24T10:00:00Z (19:00 in Tokyo).
    const offset = Date.parse('2026-11-24T10:00:00Z') - 60_000;
    expect(store.correctBoot(BOOT, offset, (at) => workingDay(at, DEFAULT_WORKING_DAY_RULE))).toBe(1);
    expect(store.tap(b.seq)).toMatchObject({
      at: new Date(9_000 + offset).toISOString(),
      workingDay: '2026-11-24',
      clockSynced: true,
      flags: ['clock_corrected'],
      state: 'pending',
    });
    expect(store.rawAt(b.seq)).toBe(wrong(9_000).toISOString());
    expect(store.tap(a.seq)).toMatchObject({ clockSynced: false, flags: [] });
    expect(store.tap(other.seq)).toMatchObject({ clockSynced: false, flags: [] });
    // Only once: a second correction finds nothing left to correct.
    expect(store.correctBoot(BOOT, offset + 5_000, (at) => workingDay(at, DEFAULT_WORKING_DAY_RULE))).toBe(0);
  });

  it('reports a full store as disk_full, loses nothing already stored, and takes taps again once there is room', () => {
    store.setSizeLimit(64 * 1024);
    let full: unknown = null;
    let stored = 0;
    for (let i = 0; i < 10_000 && full === null; i++) {
      try {
        store.commitTap(newTap(i));
        stored++;
      } catch (error) {
        full = error;
      }
    }
    expect(full).toBeInstanceOf(StoreError);
    expect(full).toMatchObject({ code: 'disk_full', sqliteCode: 'SQLITE_FULL' });
    expect(() => store.probeWritable()).toThrow(StoreError);
    expect(store.counts().pending).toBe(stored);
    store.setSizeLimit(null);
    store.probeWritable();
    expect(store.commitTap(newTap(stored)).seq).toBe(stored + 1);
    const db = new Database(path, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM taps').get() as { n: number }).n).toBe(stored + 1);
    db.close();
  });

  it('names the file and the problem when the database is not a database', async () => {
    const { writeFileSync } = await import('node:fs');
    const bad = join(dir.path, 'garbage.db');
    writeFileSync(bad, Buffer.alloc(8192, 0x41));
    expect(() => TerminalStore.open(bad)).toThrow(/opening the terminal store at .*garbage\.db/);
    try {
      TerminalStore.open(bad);
    } catch (error) {
      expect(error).toMatchObject({ code: 'corrupt' });
    }
  });
});

describe('a corrupt store', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('corrupt');
  });
  afterEach(() => dir.remove());

  it('is moved aside, never deleted, and the new store numbers taps above every number given out', async () => {
    const { readFileSync, writeFileSync, existsSync, readdirSync } = await import('node:fs');
    const path = join(dir.path, 'terminal.db');
    const store = TerminalStore.open(path);
    for (let i = 0; i < 5; i++) store.commitTap(newTap(i));
    store.close();
    const original = readFileSync(path);
    // Garbage over the header: SQLite says "file is not a database".
    writeFileSync(path, Buffer.concat([Buffer.alloc(100, 0x5a), original.subarray(100)]));

    const { store: fresh, movedAside } = TerminalStore.openOrRecover(path);
    expect(movedAside).toMatch(/terminal\.db\.broken-/);
    expect(existsSync(movedAside as string)).toBe(true);
    expect(readdirSync(dir.path).filter((f) => f.includes('.broken-')).length).toBeGreaterThanOrEqual(1);
    const next = fresh.commitTap(newTap(5)).seq;
    expect(next).toBeGreaterThan(5);
    fresh.close();
    // A store that is merely new (no floor file) starts from 1, as always.
    const other = TerminalStore.open(join(dir.path, 'other', 'terminal.db'));
    expect(other.commitTap(newTap(0)).seq).toBe(1);
    other.close();
  });

  it('opens a healthy store as it is, without moving anything', () => {
    const path = join(dir.path, 'terminal.db');
    TerminalStore.open(path).close();
    const { store, movedAside } = TerminalStore.openOrRecover(path);
    expect(movedAside).toBeNull();
    expect(store.commitTap(newTap(0)).seq).toBe(1);
    store.close();
  });
});
