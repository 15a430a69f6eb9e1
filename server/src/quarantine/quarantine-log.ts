import { createHash } from 'node:crypto';
import type { SqliteDb } from '../store/sqlite-db.js';
import type { TenantScope } from '../store/tenant-scope.js';

/** What was refused: the whole payload as it came, before it is cut down to keep. */
export interface QuarantineEntry {
  topic: string;
  clientId: string | null;
  code: string;
  reason: string;
  payload: Buffer;
}

/** A refused message as the server keeps it: what came, from whom, why, and its first bytes. */
export interface QuarantinedMessage {
  id: number;
  receivedAt: string;
  topic: string;
  clientId: string | null;
  /** The tenant leasing the terminal when the message came; null when none did. */
  tenantId: string | null;
  code: string;
  reason: string;
  /** The payload's whole size in bytes. */
  size: number;
  /** SHA-256 of the whole payload (hex); null for entries kept before hashes were. */
  sha256: string | null;
  /** At most the first `headBytes` of the payload. */
  head: Buffer;
}

/** What a client's quota has pushed out, oldest first, since the server started keeping count. */
export interface QuarantineDropped {
  clientId: string | null;
  messages: number;
  bytes: number;
  lastDroppedAt: string;
}

export interface QuarantinePolicy {
  /** Bytes of each payload kept. */
  headBytes: number;
  /** Entries kept per client (a terminal, or the clients without an id together). */
  perClientMessages: number;
  /** Bytes kept per client: heads, topics and reasons. */
  perClientBytes: number;
}

export const DEFAULT_QUARANTINE_POLICY: QuarantinePolicy = {
  headBytes: 4096,
  perClientMessages: 1000,
  perClientBytes: 2 * 1024 * 1024,
};

const TOPIC_CHARS = 256;
const REASON_CHARS = 500;

interface Row {
  id: number;
  received_at: string;
  topic: string;
  client_id: string | null;
  tenant_id: string | null;
  code: string;
  reason: string;
  size: number;
  sha256: string | null;
  head: Buffer;
}

const fromRow = (row: Row): QuarantinedMessage => ({
  id: row.id,
  receivedAt: row.received_at,
  topic: row.topic,
  clientId: row.client_id,
  tenantId: row.tenant_id,
  code: row.code,
  reason: row.reason,
  size: row.size,
  sha256: row.sha256,
  head: row.head,
});

/**
 * Messages refused at the broker or by ingest, kept for a person to see why: bounded per
 * client, so a hostile or broken terminal cannot fill the disk (the oldest entries go first,
 * counted), and scoped by the lease in force when each came, never by today's.
 */
export class QuarantineLog {
  readonly #db: SqliteDb;
  readonly policy: QuarantinePolicy;

  constructor(db: SqliteDb, policy: Partial<QuarantinePolicy> = {}) {
    this.#db = db;
    this.policy = { ...DEFAULT_QUARANTINE_POLICY, ...policy };
  }

  keep(entry: QuarantineEntry): number {
    const { headBytes, perClientMessages, perClientBytes } = this.policy;
    const head = entry.payload.subarray(0, headBytes);
    const topic = entry.topic.slice(0, TOPIC_CHARS);
    const reason = entry.reason.slice(0, REASON_CHARS);
    const kept = head.length + Buffer.byteLength(topic) + Buffer.byteLength(reason);
    const clientKey = entry.clientId ?? '';
    const sha256 = createHash('sha256').update(entry.payload).digest('hex');
    return this.#db.transaction(() => {
      const lease = this.#db.sql('SELECT tenant_id FROM terminals WHERE terminal_id = ?').get(clientKey) as
        | { tenant_id: string | null }
        | undefined;
      const id = Number(
        this.#db
          .sql(
            `INSERT INTO quarantine (received_at, topic, client_id, client_key, tenant_id, code, reason, size, sha256, head, kept_bytes)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            this.#db.iso(),
            topic,
            entry.clientId,
            clientKey,
            lease?.tenant_id ?? null,
            entry.code,
            reason,
            entry.payload.length,
            sha256,
            head,
            kept,
          ).lastInsertRowid,
      );
      const usage = this.#db
        .sql(
          `INSERT INTO quarantine_usage (client_key, messages, bytes) VALUES (?, 1, ?)
             ON CONFLICT (client_key) DO UPDATE SET messages = messages + 1, bytes = bytes + excluded.bytes
           RETURNING messages, bytes`,
        )
        .get(clientKey, kept) as { messages: number; bytes: number };
      if (usage.messages > perClientMessages || usage.bytes > perClientBytes) this.#dropOldest(clientKey, usage);
      return id;
    });
  }

  /** Drops the client's oldest entries until it is within its quota again, counted per lease. */
  #dropOldest(clientKey: string, usage: { messages: number; bytes: number }): void {
    const { perClientMessages, perClientBytes } = this.policy;
    let { messages, bytes } = usage;
    const droppedBy = new Map<string, { messages: number; bytes: number }>();
    const oldest = this.#db.sql(
      'SELECT id, tenant_id, kept_bytes FROM quarantine WHERE client_key = ? AND id > ? ORDER BY id LIMIT 64',
    );
    let after = 0;
    while (messages > perClientMessages || bytes > perClientBytes) {
      const rows = oldest.all(clientKey, after) as { id: number; tenant_id: string | null; kept_bytes: number }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        if (messages <= perClientMessages && bytes <= perClientBytes) break;
        this.#db.sql('DELETE FROM quarantine WHERE id = ?').run(row.id);
        messages -= 1;
        bytes -= row.kept_bytes;
        const tally = droppedBy.get(row.tenant_id ?? '') ?? { messages: 0, bytes: 0 };
        tally.messages += 1;
        tally.bytes += row.kept_bytes;
        droppedBy.set(row.tenant_id ?? '', tally);
        after = row.id;
      }
    }
    this.#db
      .sql('UPDATE quarantine_usage SET messages = ?, bytes = ? WHERE client_key = ?')
      .run(messages, bytes, clientKey);
    for (const [tenantKey, tally] of droppedBy) {
      this.#db
        .sql(
          `INSERT INTO quarantine_dropped (client_key, tenant_key, messages, bytes, last_dropped_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (client_key, tenant_key) DO UPDATE SET messages = messages + excluded.messages,
               bytes = bytes + excluded.bytes, last_dropped_at = excluded.last_dropped_at`,
        )
        .run(clientKey, tenantKey, tally.messages, tally.bytes, this.#db.iso());
    }
  }

  /** Newest first: the tenant's (by the lease when each came), or everyone's for the operator (null). */
  page(scope: TenantScope | null, paging: { limit: number; offset: number }): QuarantinedMessage[] {
    const rows =
      scope === null
        ? this.#db.sql('SELECT * FROM quarantine ORDER BY id DESC LIMIT @limit OFFSET @offset').all(paging)
        : this.#db
            .sql('SELECT * FROM quarantine WHERE tenant_id = @tenantId ORDER BY id DESC LIMIT @limit OFFSET @offset')
            .all({ tenantId: scope.tenantId, ...paging });
    return (rows as Row[]).map(fromRow);
  }

  /** What quotas have dropped, per client: everyone's for the operator (null), or what came under the tenant's leases. */
  dropped(scope: TenantScope | null): QuarantineDropped[] {
    const rows = (
      scope === null
        ? this.#db
            .sql(
              `SELECT client_key, sum(messages) AS messages, sum(bytes) AS bytes, max(last_dropped_at) AS last_dropped_at
                 FROM quarantine_dropped GROUP BY client_key ORDER BY client_key`,
            )
            .all()
        : this.#db.sql('SELECT * FROM quarantine_dropped WHERE tenant_key = ? ORDER BY client_key').all(scope.tenantId)
    ) as { client_key: string; messages: number; bytes: number; last_dropped_at: string }[];
    return rows.map((row) => ({
      clientId: row.client_key === '' ? null : row.client_key,
      messages: row.messages,
      bytes: row.bytes,
      lastDroppedAt: row.last_dropped_at,
    }));
  }

  /** Every entry, oldest first (operators' tools and tests). */
  all(): QuarantinedMessage[] {
    return (this.#db.sql('SELECT * FROM quarantine ORDER BY id').all() as Row[]).map(fromRow);
  }
}
