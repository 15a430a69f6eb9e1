/**
 * The server schema's versions 1 to 4, as the first releases made it: the start of the history
 * in migrations.ts, never changed (a database at any version migrates from where it is).
 */
export const FIRST_MIGRATIONS: readonly string[] = [
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
  `
  -- The fleet owner's operator tokens belong to no tenant; tenant tokens always to one.
  CREATE TABLE api_tokens_new (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (tenant_id),
    role TEXT NOT NULL CHECK (role IN ('operator', 'admin', 'viewer')),
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK ((role = 'operator') = (tenant_id IS NULL))
  );
  INSERT INTO api_tokens_new SELECT token_hash, tenant_id, role, label, created_at FROM api_tokens;
  DROP TABLE api_tokens;
  ALTER TABLE api_tokens_new RENAME TO api_tokens;

  -- The site's owner is its prime contractor (元請); the structure lists the subcontractors under it.
  ALTER TABLE sites ADD COLUMN prime_company_id TEXT;
  UPDATE sites SET prime_company_id = (SELECT company_id FROM tenants t WHERE t.tenant_id = sites.tenant_id);
  CREATE TABLE site_companies (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    company_id TEXT NOT NULL,
    name TEXT NOT NULL,
    tier INTEGER NOT NULL CHECK (tier >= 1),
    parent_company_id TEXT NOT NULL,
    PRIMARY KEY (site_id, company_id)
  ) WITHOUT ROWID;

  -- Roster and config versions come from one counter, so a terminal moved to another site
  -- never holds a newer version than the one it is sent.
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO counters VALUES ('version', (SELECT coalesce(max(roster_version), 0) FROM sites));

  ALTER TABLE terminals ADD COLUMN lease_from TEXT;
  ALTER TABLE terminals ADD COLUMN lease_until TEXT;
  ALTER TABLE terminals ADD COLUMN config TEXT;
  ALTER TABLE terminals ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE terminals ADD COLUMN hardware_profile TEXT;
  -- Every assignment a terminal has had: taps are attributed by the lease in force when they were taken.
  CREATE TABLE terminal_leases (
    id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL REFERENCES terminals (terminal_id),
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    lease_from TEXT NOT NULL,
    lease_until TEXT,
    created_at TEXT NOT NULL
  );
  INSERT INTO terminal_leases (terminal_id, tenant_id, site_id, lease_from, created_at)
    SELECT terminal_id, tenant_id, site_id, created_at, created_at FROM terminals
    WHERE tenant_id IS NOT NULL AND site_id IS NOT NULL;

  ALTER TABLE workers ADD COLUMN employer_company_id TEXT;
  ALTER TABLE workers ADD COLUMN trade TEXT;
  ALTER TABLE workers ADD COLUMN position TEXT;
  UPDATE workers SET employer_company_id = (SELECT company_id FROM tenants t WHERE t.tenant_id = workers.tenant_id);
  ALTER TABLE site_roster ADD COLUMN position TEXT;
  ALTER TABLE site_roster ADD COLUMN work_content TEXT;

  -- A person's word on a record: times they set or a day they added. Applied on top of the taps.
  CREATE TABLE record_overrides (
    site_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    working_day TEXT NOT NULL,
    first_in TEXT,
    last_out TEXT,
    correction_id INTEGER NOT NULL,
    PRIMARY KEY (site_id, worker_id, working_day)
  ) WITHOUT ROWID;
  CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    site_id TEXT NOT NULL,
    worker_id TEXT,
    working_day TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('add_day', 'set_times', 'bind_card', 'confirm_clock')),
    state TEXT NOT NULL CHECK (state IN ('applied', 'awaiting_approval', 'rejected')),
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    before TEXT,
    after TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT
  );
  CREATE INDEX corrections_site ON corrections (site_id, state);
  -- Who did what, when and why, with the state before and after: kept for good.
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    tenant_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT,
    before TEXT,
    after TEXT
  );
  CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

  -- held: waits for a person before it may go (a manual entry awaiting approval, an unsynchronised clock).
  CREATE TABLE ccus_outbox_new (
    site_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    working_day TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('held', 'pending', 'sending', 'accepted', 'refused', 'retrying')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_revision INTEGER,
    last_error TEXT,
    receipt TEXT,
    accepted_at TEXT,
    held_reason TEXT,
    PRIMARY KEY (site_id, worker_id, working_day)
  ) WITHOUT ROWID;
  INSERT INTO ccus_outbox_new (site_id, worker_id, working_day, idempotency_key, state, attempts, next_attempt_at,
      sent_revision, last_error, receipt, accepted_at)
    SELECT site_id, worker_id, working_day, idempotency_key, state, attempts, next_attempt_at,
      sent_revision, last_error, receipt, accepted_at FROM ccus_outbox;
  DROP TABLE ccus_outbox;
  ALTER TABLE ccus_outbox_new RENAME TO ccus_outbox;
  CREATE INDEX ccus_outbox_due ON ccus_outbox (next_attempt_at) WHERE state IN ('pending', 'retrying');
  CREATE INDEX taps_card ON taps (tech, card_id) WHERE worker_id IS NULL;
  CREATE INDEX records_day ON records (working_day);
  `,
];
