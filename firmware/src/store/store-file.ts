import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, toStoreError } from '../errors.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { SequenceFloor } from './sequence-floor.js';

/**
 * The terminal store's database file, opened as every tap relies on: WAL with synchronous=FULL
 * (a committed tap survives a power cut), migrated, and with its sequence floor beside it.
 */
export function openStoreFile(path: string): { db: Database.Database; floor: SequenceFloor | null } {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    const floor = path === ':memory:' ? null : new SequenceFloor(`${path}.seq`);
    const used = (
      db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'taps'`).get() as { seq: number } | undefined
    )?.seq;
    if (used === undefined && floor !== null && floor.reservedUpTo > 0) {
      // A new store replacing one that was lost: carry on above every number ever given out.
      db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES ('taps', ?)`).run(floor.reservedUpTo);
    } else if (used !== undefined) {
      floor?.cover(used);
    }
    return { db, floor };
  } catch (error) {
    db?.close();
    throw toStoreError(error, `opening the terminal store at ${path}`);
  }
}

/**
 * An existing store file for reading only, beside a running terminal (WAL lets both work):
 * for `status` and `doctor`, which must never change what the terminal holds.
 */
export function openStoreFileReadOnly(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      throw new StoreError(
        'unknown',
        `${path} has schema version ${version}, this firmware expects ${MIGRATIONS.length}; run the terminal once to migrate it`,
      );
    }
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(error, `opening the terminal store at ${path} to read`);
  }
}

/**
 * Moves a corrupt store file (with its WAL) aside, never deleting it, since it may hold taps
 * not yet sent. Returns where it went.
 */
export function moveStoreFileAside(path: string): string {
  const aside = `${path}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}
