import { FIRST_MIGRATIONS } from './migrations-first.js';

/**
 * Migrations written the same for SQLite and PostgreSQL are shared with the PostgreSQL list
 * (postgres/pg-migrate.ts), so the two cannot drift.
 */
export const OPERATOR_SESSIONS = `
  -- The fleet operator signed in to the dashboard's fleet pages with an operator API token
  -- (web/routes/fleet-routes.tsx): revoking the token ends the session.
  CREATE TABLE operator_sessions (
    token_hash TEXT PRIMARY KEY,
    api_token_hash TEXT NOT NULL REFERENCES api_tokens (token_hash) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
`;

export const LEASES_BY_TERMINAL = `
  -- A terminal's earlier leases are read for every batch it sends (store/terminal-assignment.ts).
  CREATE INDEX terminal_leases_terminal ON terminal_leases (terminal_id, lease_from);
`;

/**
 * Server schema migrations, applied in order; `user_version` records progress. Versions 1–4
 * (the first releases' schema) are in migrations-first.ts; each new one goes at the end here.
 */
export const MIGRATIONS: readonly string[] = [
  ...FIRST_MIGRATIONS,
  `
  -- The terminal's password hashed for Mosquitto's password file, when an external broker is used.
  ALTER TABLE terminals ADD COLUMN broker_hash TEXT;
  `,
  `
  -- People who sign in to the dashboard: each belongs to one tenant, with its role there.
  CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX users_tenant ON users (tenant_id);
  -- A signed-in browser: only the hash of its cookie is kept.
  CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX web_sessions_user ON web_sessions (user_id);
  `,
  `
  -- Shifts, not calendar buckets: a tap's record may be the working day before its own (a night
  -- shift's exit). record_day and effective_direction are worked out by records/ from all of the
  -- worker's taps at the site; at_ms orders them, whatever offset each wall time was written in.
  ALTER TABLE taps ADD COLUMN at_ms INTEGER;
  UPDATE taps SET at_ms = CAST(round((julianday(at) - 2440587.5) * 86400000) AS INTEGER);
  ALTER TABLE taps ADD COLUMN record_day TEXT;
  ALTER TABLE taps ADD COLUMN effective_direction TEXT;
  UPDATE taps SET record_day = working_day, effective_direction = direction;
  -- A tap a person voided (kept, audited, left out of its record): the correction that did it.
  ALTER TABLE taps ADD COLUMN void_correction INTEGER;
  -- A worker's taps at a site in time order serve both the pairing and a record's taps (whose
  -- times lie within its day and the shift after); one index on the tap path, not two.
  CREATE INDEX taps_timeline ON taps (site_id, worker_id, at_ms) WHERE worker_id IS NOT NULL;
  DROP INDEX taps_record;
  ALTER TABLE sites ADD COLUMN max_shift_hours INTEGER NOT NULL DEFAULT 16;

  -- The CCUS outbox sends what the record says now (content) and remembers what CCUS holds
  -- (sent_content) and when it was last sent, so changes in between are coalesced.
  ALTER TABLE ccus_outbox ADD COLUMN content TEXT;
  ALTER TABLE ccus_outbox ADD COLUMN sent_content TEXT;
  ALTER TABLE ccus_outbox ADD COLUMN last_sent_at TEXT;
  UPDATE ccus_outbox SET content = (
    SELECT json_object('firstIn', r.first_in, 'lastOut', r.last_out, 'trade', NULL, 'position', NULL) FROM records r
      WHERE r.site_id = ccus_outbox.site_id AND r.worker_id = ccus_outbox.worker_id AND r.working_day = ccus_outbox.working_day);
  UPDATE ccus_outbox SET sent_content = content, last_sent_at = accepted_at WHERE state = 'accepted';

  -- New kinds of correction: a tap voided, a tap's time set by a person.
  CREATE TABLE corrections_new (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    site_id TEXT NOT NULL,
    worker_id TEXT,
    working_day TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('add_day', 'set_times', 'bind_card', 'confirm_clock', 'void_tap', 'set_tap_time',
      'set_trade')),
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
  INSERT INTO corrections_new SELECT * FROM corrections;
  DROP TABLE corrections;
  ALTER TABLE corrections_new RENAME TO corrections;
  CREATE INDEX corrections_site ON corrections (site_id, state);

  -- Trades (職種) and positions (立場): a worker may be registered for several trades; the site
  -- roster (作業員名簿) gives each worker there a trade, a position, work content and a period;
  -- each record carries the day's trade and position, which a person may change for the day.
  ALTER TABLE workers ADD COLUMN trades TEXT NOT NULL DEFAULT '[]';
  UPDATE workers SET trades = json_array(trade) WHERE trade IS NOT NULL;
  ALTER TABLE site_roster ADD COLUMN trade TEXT;
  ALTER TABLE site_roster ADD COLUMN period_from TEXT;
  ALTER TABLE site_roster ADD COLUMN period_until TEXT;
  UPDATE site_roster SET trade = (SELECT trade FROM workers w WHERE w.worker_id = site_roster.worker_id);
  ALTER TABLE records ADD COLUMN trade TEXT;
  ALTER TABLE records ADD COLUMN position TEXT;
  ALTER TABLE record_overrides ADD COLUMN trade TEXT;
  ALTER TABLE record_overrides ADD COLUMN position TEXT;
  `,
  `
  -- One company's workers and cards are its own: the same CCUS worker ID may be on two tenants'
  -- books, and a card one tenant binds resolves taps only at sites that tenant sees. A roster
  -- place says whose books its worker comes from.
  CREATE TABLE workers_new (
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    worker_id TEXT NOT NULL,
    name TEXT NOT NULL,
    employer_company_id TEXT,
    trade TEXT,
    trades TEXT NOT NULL DEFAULT '[]',
    position TEXT,
    PRIMARY KEY (tenant_id, worker_id)
  ) WITHOUT ROWID;
  INSERT INTO workers_new (tenant_id, worker_id, name, employer_company_id, trade, trades, position)
    SELECT tenant_id, worker_id, name, employer_company_id, trade, trades, position FROM workers;
  CREATE TABLE cards_new (
    tenant_id TEXT NOT NULL,
    tech TEXT NOT NULL,
    card_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, tech, card_id),
    FOREIGN KEY (tenant_id, worker_id) REFERENCES workers_new (tenant_id, worker_id)
  ) WITHOUT ROWID;
  INSERT INTO cards_new (tenant_id, tech, card_id, worker_id)
    SELECT w.tenant_id, c.tech, c.card_id, c.worker_id FROM cards c JOIN workers w USING (worker_id);
  CREATE TABLE site_roster_new (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    worker_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    position TEXT,
    work_content TEXT,
    trade TEXT,
    period_from TEXT,
    period_until TEXT,
    PRIMARY KEY (site_id, worker_id),
    FOREIGN KEY (tenant_id, worker_id) REFERENCES workers_new (tenant_id, worker_id)
  ) WITHOUT ROWID;
  INSERT INTO site_roster_new (site_id, worker_id, tenant_id, position, work_content, trade, period_from, period_until)
    SELECT r.site_id, r.worker_id, w.tenant_id, r.position, r.work_content, r.trade, r.period_from, r.period_until
    FROM site_roster r JOIN workers w USING (worker_id);
  DROP TABLE site_roster;
  DROP TABLE cards;
  DROP TABLE workers;
  ALTER TABLE workers_new RENAME TO workers;
  ALTER TABLE cards_new RENAME TO cards;
  ALTER TABLE site_roster_new RENAME TO site_roster;
  -- Covering: resolving a tap's card reads this index alone.
  CREATE INDEX cards_card ON cards (tech, card_id, tenant_id, worker_id);
  CREATE INDEX cards_worker ON cards (tenant_id, worker_id);
  CREATE INDEX site_roster_worker ON site_roster (tenant_id, worker_id);
  `,
  `
  -- When each counted tap's shift began: with record_day and effective_direction, the state
  -- the shift rule reached there, so a rebuild starts from the tap before what changed.
  ALTER TABLE taps ADD COLUMN shift_start_ms INTEGER;
  -- The earliest changed tap of a queued day (new taps), so pairing starts there; NULL: the whole day.
  ALTER TABLE record_queue ADD COLUMN from_ms INTEGER;
  -- Where each worker stands at each site after their latest tap: who is on site now.
  CREATE TABLE worker_presence (
    site_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    last_direction TEXT NOT NULL,
    record_day TEXT NOT NULL,
    shift_start_ms INTEGER NOT NULL,
    last_at_ms INTEGER NOT NULL,
    PRIMARY KEY (site_id, worker_id)
  ) WITHOUT ROWID;
  `,
  `
  -- The CSRF token is derived from the session token (web/session.ts): nothing to keep.
  ALTER TABLE web_sessions DROP COLUMN csrf;
  -- Quarantine keeps why, how big, a hash and the first bytes, never a whole payload; each
  -- entry belongs to the tenant whose lease was in force when it came (quarantine/quarantine-log.ts).
  CREATE TABLE quarantine_new (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    topic TEXT NOT NULL,
    client_id TEXT,
    client_key TEXT NOT NULL,
    tenant_id TEXT,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT,
    head BLOB NOT NULL,
    kept_bytes INTEGER NOT NULL
  );
  INSERT INTO quarantine_new
    SELECT q.id, q.received_at, substr(q.topic, 1, 256), q.client_id, coalesce(q.client_id, ''),
           (SELECT l.tenant_id FROM terminal_leases l
             WHERE l.terminal_id = q.client_id AND l.lease_from <= q.received_at
               AND (l.lease_until IS NULL OR l.lease_until > q.received_at)
             ORDER BY l.id DESC LIMIT 1),
           q.code, substr(q.reason, 1, 500), length(q.payload), NULL, substr(q.payload, 1, 4096),
           length(substr(q.payload, 1, 4096)) + length(CAST(substr(q.topic, 1, 256) AS BLOB))
             + length(CAST(substr(q.reason, 1, 500) AS BLOB))
      FROM quarantine q;
  DROP TABLE quarantine;
  ALTER TABLE quarantine_new RENAME TO quarantine;
  CREATE INDEX quarantine_client ON quarantine (client_key, id);
  CREATE INDEX quarantine_tenant ON quarantine (tenant_id, id);
  CREATE TABLE quarantine_usage (
    client_key TEXT PRIMARY KEY,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO quarantine_usage SELECT client_key, count(*), sum(kept_bytes) FROM quarantine GROUP BY client_key;
  CREATE TABLE quarantine_dropped (
    client_key TEXT NOT NULL,
    tenant_key TEXT NOT NULL,
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    last_dropped_at TEXT NOT NULL,
    PRIMARY KEY (client_key, tenant_key)
  ) WITHOUT ROWID;
  -- A worker another tenant placed on a visible roster is looked up by worker ID alone.
  CREATE INDEX workers_worker ON workers (worker_id);
  `,
  `
  -- Optional two-factor sign-in (TOTP, RFC 6238): the shared secret (base32), and the last
  -- time step a code was accepted for, so a code is never accepted twice.
  ALTER TABLE users ADD COLUMN totp_secret TEXT;
  ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
  `,
  `
  -- "Bind the next tap at this terminal": one waiting request per terminal, until it expires
  -- (enrolment/enrolment-store.ts).
  CREATE TABLE card_enrolments (
    terminal_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    company_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  -- The language the site's gate displays speak to workers (ja, en, vi, id).
  ALTER TABLE sites ADD COLUMN language TEXT NOT NULL DEFAULT 'ja' CHECK (language IN ('ja', 'en', 'vi', 'id'));
  `,
  `
  -- A worker's personal link to their own records at one tenant (self-view/): only the
  -- token's SHA-256 is kept; revoked or past its expiry, it opens nothing.
  CREATE TABLE worker_links (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
  );
  CREATE INDEX worker_links_worker ON worker_links (tenant_id, worker_id);
  `,
  `
  -- Who gets which alerts, and how (alerts/): an e-mail address or a signed webhook.
  CREATE TABLE alert_subscriptions (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    target TEXT NOT NULL,
    secret TEXT,
    kinds TEXT NOT NULL,
    lang TEXT NOT NULL CHECK (lang IN ('ja', 'en')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX alert_subscriptions_tenant ON alert_subscriptions (tenant_id);
  -- Each alert once per subscription (by its key), sent with retries.
  CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    alert_key TEXT NOT NULL,
    alert TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (subscription_id, alert_key)
  );
  CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE state = 'pending';
  `,
  `
  -- A user limited to some sites (a JSON array of site IDs) sees and changes only those; NULL: every site.
  ALTER TABLE users ADD COLUMN sites TEXT;
  -- A subscription made by such a user gets the alerts of those sites only.
  ALTER TABLE alert_subscriptions ADD COLUMN sites TEXT;
  -- A record being sent is claimed by one server until a time: another takes it over only then.
  ALTER TABLE ccus_outbox ADD COLUMN claimed_by TEXT;
  ALTER TABLE ccus_outbox ADD COLUMN claim_until TEXT;
  -- What each of several servers changed, for the others' live pages (changes/change-feed.ts).
  CREATE TABLE change_feed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('taps', 'status', 'records')),
    terminal_id TEXT,
    site_ids TEXT,
    at TEXT NOT NULL
  );
  `,
  `
  -- Terminal releases the operator published (updates/): the tarball is a file in updates.dir.
  CREATE TABLE releases (
    version TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    signature TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL
  );
  -- The release a rollout offers a terminal, in its config, until it runs it or the rollout stops.
  CREATE TABLE terminal_updates (
    terminal_id TEXT PRIMARY KEY REFERENCES terminals (terminal_id) ON DELETE CASCADE,
    version TEXT NOT NULL REFERENCES releases (version),
    url TEXT NOT NULL,
    requested_at TEXT NOT NULL
  );
  CREATE INDEX terminal_updates_version ON terminal_updates (version);
  `,
  OPERATOR_SESSIONS,
  LEASES_BY_TERMINAL,
];
