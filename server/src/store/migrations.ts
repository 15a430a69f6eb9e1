/** Server schema migrations, applied in order; `user_version` records progress. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE sites (
    site_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    day_boundary TEXT NOT NULL,
    roster_version INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE terminals (
    terminal_id TEXT PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (tenant_id),
    site_id TEXT REFERENCES sites (site_id),
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT,
    status_at TEXT
  );
  CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    name TEXT NOT NULL
  );
  CREATE TABLE cards (
    tech TEXT NOT NULL,
    card_id TEXT NOT NULL,
    worker_id TEXT NOT NULL REFERENCES workers (worker_id),
    PRIMARY KEY (tech, card_id)
  ) WITHOUT ROWID;
  CREATE TABLE site_roster (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    worker_id TEXT NOT NULL REFERENCES workers (worker_id),
    PRIMARY KEY (site_id, worker_id)
  ) WITHOUT ROWID;
  CREATE TABLE taps (
    terminal_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    site_id TEXT NOT NULL,
    tech TEXT NOT NULL,
    card_id TEXT NOT NULL,
    terminal_worker_id TEXT,
    worker_id TEXT,
    direction TEXT NOT NULL,
    at TEXT NOT NULL,
    working_day TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    mono INTEGER NOT NULL,
    clock_synced INTEGER NOT NULL,
    flags TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (terminal_id, seq)
  );
  CREATE INDEX taps_record ON taps (site_id, worker_id, working_day);
  CREATE INDEX taps_unresolved ON taps (site_id) WHERE worker_id IS NULL;
  CREATE TABLE records (
    site_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    working_day TEXT NOT NULL,
    first_in TEXT,
    last_out TEXT,
    tap_count INTEGER NOT NULL,
    flags TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (site_id, worker_id, working_day)
  ) WITHOUT ROWID;
  CREATE TABLE ccus_outbox (
    site_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    working_day TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'accepted', 'refused', 'retrying')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_revision INTEGER,
    last_error TEXT,
    receipt TEXT,
    accepted_at TEXT,
    PRIMARY KEY (site_id, worker_id, working_day)
  ) WITHOUT ROWID;
  CREATE INDEX ccus_outbox_due ON ccus_outbox (next_attempt_at) WHERE state IN ('pending', 'retrying');
  CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    topic TEXT NOT NULL,
    client_id TEXT,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
  );
  `,
  `
  -- The wall time the terminal first sent, kept when a clock correction rewrites at.
  ALTER TABLE taps ADD COLUMN raw_at TEXT;
  CREATE INDEX taps_unsynced ON taps (terminal_id, boot_id) WHERE clock_synced = 0;
  `,
  `
  -- Records whose taps changed, waiting to be rebuilt. Filled in the batch's own transaction,
  -- so a crash between storing taps and rebuilding their records loses nothing.
  CREATE TABLE record_queue (
    site_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    working_day TEXT NOT NULL,
    PRIMARY KEY (site_id, worker_id, working_day)
  ) WITHOUT ROWID;
  `,
];
