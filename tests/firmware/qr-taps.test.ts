import { join } from 'node:path';
import { MIGRATIONS, type NewTap, TerminalStore } from '@ccus-gate/firmware';
import { parseCardRef, parseWorkerId } from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const BOOT = '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13';
const WORKER = parseWorkerId('12345678901234');

function tap(card: NewTap['card'], workerId: NewTap['workerId'], i: number): NewTap {
  return {
    card,
    workerId,
    direction: 'in',
    at: new Date(Date.UTC(2026, 10, 23, 23, 0, i)),
    workingDay: '2026-11-24',
    bootId: BOOT,
    mono: 1_000 + i,
    clockSynced: true,
    flags: [],
  };
}

describe('QR taps in the terminal store', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('qr-store');
  });
  afterEach(() => dir.remove());

  it('migrates a store from before QR codes with every row, its indexes and its sequence high-water mark', () => {
    const path = join(dir.path, 'before-qr.db');
    // A store as the firmware before QR codes left it: three migrations, taps pruned above seq 7.
    const old = new Database(path);
    for (const [i, sql] of MIGRATIONS.slice(0, 3).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${i + 1}`);
    }
    const insert = old.prepare(
      `INSERT INTO taps (tech, card_id, worker_id, subject, direction, at, working_day, boot_id, mono, clock_synced, state, raw_at)
       VALUES ('felica', '012E4CD3A1B2C3D4', ?, ?, 'in', ?, '2026-11-24', ?, ?, 1, ?, ?)`,
    );
    for (let i = 1; i <= 9; i++) {
      insert.run(
        WORKER,
        WORKER,
        `2026-11-24T08:00:0${i}.000+09:00`,
        BOOT,
        i,
        i <= 4 ? 'delivered' : 'pending',
        i === 5 ? 'raw' : null,
      );
    }
    old.prepare('DELETE FROM taps WHERE seq > 7').run();
    old.close();

    const store = TerminalStore.open(path);
    try {
      expect(store.counts()).toEqual({ pending: 3, delivered: 4, rejected: 0 });
      // Numbers given out before the migration are never given again.
      expect(store.commitTap(tap(parseCardRef(WORKER, 'qr'), null, 10)).seq).toBe(10);
      expect(store.pendingAfter(0, 10).map((t) => [t.seq, t.card.tech])).toEqual([
        [5, 'felica'],
        [6, 'felica'],
        [7, 'felica'],
        [10, 'qr'],
      ]);
    } finally {
      store.close();
    }
    const db = new Database(path, { readonly: true });
    const indexes = db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'taps'`)
      .pluck()
      .all();
    expect(indexes).toEqual(
      expect.arrayContaining(['taps_pending', 'taps_subject_day', 'taps_delivered', 'taps_rejected']),
    );
    expect(db.prepare(`SELECT raw_at FROM taps WHERE seq = 5`).pluck().get()).toBe('raw');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('resolves a QR code to its worker when the roster has them, and leaves any other unknown', () => {
    const store = TerminalStore.open(join(dir.path, 'roster.db'));
    try {
      store.applyRoster({
        v: 1,
        siteId: '11' as never,
        version: 1,
        issuedAt: '2026-11-24T08:00:00.000+09:00',
        entries: [{ card: parseCardRef('04A2B3C4'), workerId: WORKER }],
      });
      expect(store.resolveCard(parseCardRef(WORKER, 'qr'))).toBe(WORKER);
      expect(store.resolveCard(parseCardRef('12345678901299', 'qr'))).toBeNull();
      // The same digits read off a MIFARE card are a card, not the worker.
      expect(store.resolveCard(parseCardRef('12345678901234', 'mifare'))).toBeNull();
    } finally {
      store.close();
    }
  });
});
