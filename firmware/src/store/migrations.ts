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
];
