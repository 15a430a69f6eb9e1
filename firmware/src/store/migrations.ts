import type Database from 'better-sqlite3';

/**
 * Schema migrations, applied in order inside one transaction each. `user_version`
 * records how far a database has come. Never edit a migration that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE taps (
    -- AUTOINCREMENT: a sequence number is never reused, even after pruning.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tech TEXT NOT NULL CHECK (tech IN ('felica', 'mifare')),
    card_id TEXT NOT NULL,
    worker_id TEXT,
    -- The worker, or the card when unknown: whose taps toggle together.
    subject TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    at TEXT NOT NULL,
    working_day TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    mono INTEGER NOT NULL,
    clock_synced INTEGER NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'rejected')),
    settled_at TEXT,
    reject_reason TEXT
  );
  CREATE INDEX taps_pending ON taps (seq) WHERE state = 'pending';
  CREATE INDEX taps_subject_day ON taps (subject, working_day, seq);
  CREATE TABLE roster (
    tech TEXT NOT NULL,
    card_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    PRIMARY KEY (tech, card_id)
  ) WITHOUT ROWID;
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- The wall time as first recorded, kept when a clock correction rewrites at.
  ALTER TABLE taps ADD COLUMN raw_at TEXT;
  -- Retention prunes delivered taps by when they were settled.
  CREATE INDEX taps_delivered ON taps (settled_at) WHERE state = 'delivered';
  `,
  `
  -- Counting taps by state at start-up reads these instead of the whole table.
  CREATE INDEX taps_rejected ON taps (seq) WHERE state = 'rejected';
  `,
  `
  -- The 建キャリ QR code: a tap whose identifier is the worker ID itself (tech 'qr'). SQLite
  -- cannot change a CHECK in place, so the table is built again with the same rows.
  CREATE TABLE taps_new (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tech TEXT NOT NULL CHECK (tech IN ('felica', 'mifare', 'qr')),
    card_id TEXT NOT NULL,
    worker_id TEXT,
    subject TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    at TEXT NOT NULL,
    working_day TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    mono INTEGER NOT NULL,
    clock_synced INTEGER NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'rejected')),
    settled_at TEXT,
    reject_reason TEXT,
    raw_at TEXT
  );
  INSERT INTO taps_new (seq, tech, card_id, worker_id, subject, direction, at, working_day, boot_id, mono,
      clock_synced, flags, state, settled_at, reject_reason, raw_at)
    SELECT seq, tech, card_id, worker_id, subject, direction, at, working_day, boot_id, mono,
      clock_synced, flags, state, settled_at, reject_reason, raw_at FROM taps;
  -- The high-water mark goes along: a sequence number is never reused, even after pruning.
  DELETE FROM sqlite_sequence WHERE name = 'taps_new';
  INSERT INTO sqlite_sequence (name, seq) SELECT 'taps_new', seq FROM sqlite_sequence WHERE name = 'taps';
  DROP TABLE taps;
  ALTER TABLE taps_new RENAME TO taps;
  CREATE INDEX taps_pending ON taps (seq) WHERE state = 'pending';
  CREATE INDEX taps_subject_day ON taps (subject, working_day, seq);
  CREATE INDEX taps_delivered ON taps (settled_at) WHERE state = 'delivered';
  CREATE INDEX taps_rejected ON taps (seq) WHERE state = 'rejected';
  -- A QR code names its worker: the gate knows them when any of their cards is on the roster.
  CREATE INDEX roster_worker ON roster (worker_id);
  `,
];

/** Brings a store's schema up to date, one transaction per migration; refuses a store newer than this firmware. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`database schema version ${version} is newer than this firmware knows (${MIGRATIONS.length})`);
  }
  for (let i = version; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i] as string);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  // A migration that built a table again leaves the old one's pages free inside the file. They
  // go back to the disk: a full disk is measured by the file, and free pages inside it would let
  // a small write through while a tap could not be (probeWritable).
  if (version < MIGRATIONS.length && (db.pragma('freelist_count', { simple: true }) as number) > 0) db.exec('VACUUM');
}
