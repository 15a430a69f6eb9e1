import { createHash } from 'node:crypto';
import type { Answer, StoreEngine } from '../store/engine/store-engine.js';
import { execute, firstRow, rows, type Work } from '../store/engine/work.js';
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
export class QuarantineLog<E extends StoreEngine = StoreEngine> {
  readonly #engine: E;
  readonly policy: QuarantinePolicy;

  constructor(engine: E, policy: Partial<QuarantinePolicy> = {}) {
    this.#engine = engine;
    this.policy = { ...DEFAULT_QUARANTINE_POLICY, ...policy };
  }

  get #db() {
    return this.#engine.db;
  }

  keep(entry: QuarantineEntry): Answer<E, number> {
    return this.#engine.transaction(() => this.#keep(entry)) as Answer<E, number>;
  }

  *#keep(entry: QuarantineEntry): Work<number> {
    const { headBytes, perClientMessages, perClientBytes } = this.policy;
    const head = entry.payload.subarray(0, headBytes);
    const topic = entry.topic.slice(0, TOPIC_CHARS);
    const reason = entry.reason.slice(0, REASON_CHARS);
    const kept = head.length + Buffer.byteLength(topic) + Buffer.byteLength(reason);
    const clientKey = entry.clientId ?? '';
    const sha256 = createHash('sha256').update(entry.payload).digest('hex');
    const lease = yield* firstRow(
      this.#db.selectFrom('terminals').select('tenant_id').where('terminal_id', '=', clientKey),
    );
    const inserted = yield* firstRow(
      this.#db
        .insertInto('quarantine')
        .values({
          received_at: this.#engine.now().toISOString(),
          topic,
          client_id: entry.clientId,
          client_key: clientKey,
          tenant_id: lease?.tenant_id ?? null,
          code: entry.code,
          reason,
          size: entry.payload.length,
          sha256,
          head,
          kept_bytes: kept,
        })
        .returning('id'),
    );
    const usage = (yield* firstRow(
      this.#db
        .insertInto('quarantine_usage')
        .values({ client_key: clientKey, messages: 1, bytes: kept })
        .onConflict((conflict) =>
          conflict.column('client_key').doUpdateSet((eb) => ({
            messages: eb('quarantine_usage.messages', '+', 1),
            bytes: eb('quarantine_usage.bytes', '+', eb.ref('excluded.bytes')),
          })),
        )
        .returning(['messages', 'bytes']),
    )) as { messages: number; bytes: number };
    if (usage.messages > perClientMessages || usage.bytes > perClientBytes) yield* this.#dropOldest(clientKey, usage);
    return Number(inserted?.id);
  }

  /** Drops the client's oldest entries until it is within its quota again, counted per lease. */
  *#dropOldest(clientKey: string, usage: { messages: number; bytes: number }): Work<void> {
    const { perClientMessages, perClientBytes } = this.policy;
    let { messages, bytes } = usage;
    const droppedBy = new Map<string, { messages: number; bytes: number }>();
    let after = 0;
    while (messages > perClientMessages || bytes > perClientBytes) {
      const oldest = yield* rows(
        this.#db
          .selectFrom('quarantine')
          .select(['id', 'tenant_id', 'kept_bytes'])
          .where('client_key', '=', clientKey)
          .where('id', '>', after)
          .orderBy('id')
          .limit(64),
      );
      if (oldest.length === 0) break;
      for (const row of oldest) {
        if (messages <= perClientMessages && bytes <= perClientBytes) break;
        const id = row.id as number;
        yield* execute(this.#db.deleteFrom('quarantine').where('id', '=', id));
        messages -= 1;
        bytes -= row.kept_bytes;
        const tally = droppedBy.get(row.tenant_id ?? '') ?? { messages: 0, bytes: 0 };
        tally.messages += 1;
        tally.bytes += row.kept_bytes;
        droppedBy.set(row.tenant_id ?? '', tally);
        after = id;
      }
    }
    yield* execute(
      this.#db.updateTable('quarantine_usage').set({ messages, bytes }).where('client_key', '=', clientKey),
    );
    const now = this.#engine.now().toISOString();
    for (const [tenantKey, tally] of droppedBy) {
      yield* execute(
        this.#db
          .insertInto('quarantine_dropped')
          .values({ client_key: clientKey, tenant_key: tenantKey, ...tally, last_dropped_at: now })
          .onConflict((conflict) =>
            conflict.columns(['client_key', 'tenant_key']).doUpdateSet((eb) => ({
              messages: eb('quarantine_dropped.messages', '+', eb.ref('excluded.messages')),
              bytes: eb('quarantine_dropped.bytes', '+', eb.ref('excluded.bytes')),
              last_dropped_at: eb.ref('excluded.last_dropped_at'),
            })),
          ),
      );
    }
  }

  /** Newest first: the tenant's (by the lease when each came), or everyone's for the operator (null). */
  page(scope: TenantScope | null, paging: { limit: number; offset: number }): Answer<E, QuarantinedMessage[]> {
    let query = this.#db
      .selectFrom('quarantine')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(paging.limit)
      .offset(paging.offset);
    if (scope !== null) query = query.where('tenant_id', '=', scope.tenantId);
    return this.#engine.run(this.#messages(query)) as Answer<E, QuarantinedMessage[]>;
  }

  *#messages(query: Parameters<typeof rows<Row>>[0]): Work<QuarantinedMessage[]> {
    return (yield* rows(query)).map(fromRow);
  }

  /** What quotas have dropped, per client: everyone's for the operator (null), or what came under the tenant's leases. */
  dropped(scope: TenantScope | null): Answer<E, QuarantineDropped[]> {
    return this.#engine.run(this.#dropped(scope)) as Answer<E, QuarantineDropped[]>;
  }

  *#dropped(scope: TenantScope | null): Work<QuarantineDropped[]> {
    const found =
      scope === null
        ? yield* rows(
            this.#db
              .selectFrom('quarantine_dropped')
              .select((eb) => [
                'client_key',
                eb.fn.sum<number>('messages').as('messages'),
                eb.fn.sum<number>('bytes').as('bytes'),
                eb.fn.max('last_dropped_at').as('last_dropped_at'),
              ])
              .groupBy('client_key')
              .orderBy('client_key'),
          )
        : yield* rows(
            this.#db
              .selectFrom('quarantine_dropped')
              .select(['client_key', 'messages', 'bytes', 'last_dropped_at'])
              .where('tenant_key', '=', scope.tenantId)
              .orderBy('client_key'),
          );
    return found.map((row) => ({
      clientId: row.client_key === '' ? null : row.client_key,
      messages: Number(row.messages),
      bytes: Number(row.bytes),
      lastDroppedAt: row.last_dropped_at,
    }));
  }

  /** Every entry, oldest first (operators' tools and tests). */
  all(): Answer<E, QuarantinedMessage[]> {
    return this.#engine.run(this.#messages(this.#db.selectFrom('quarantine').selectAll().orderBy('id'))) as Answer<
      E,
      QuarantinedMessage[]
    >;
  }
}
