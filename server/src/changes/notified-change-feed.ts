import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Change } from './change-feed-store.js';

/** The channel every server on one PostgreSQL database listens on. */
export const CHANGES_CHANNEL = 'ccus_gate_changes';
/** NOTIFY carries at most 8000 bytes; a long list of sites goes in several. */
const MAX_PAYLOAD = 7000;
const RECONNECT_MS = 1_000;

interface Notice {
  from: string;
  change: Change;
}

/** One change as notices that each fit a NOTIFY. */
export function noticesOf(serverId: string, change: Change): string[] {
  const whole = JSON.stringify({ from: serverId, change } satisfies Notice);
  if (whole.length <= MAX_PAYLOAD || change.kind !== 'records') return [whole];
  const half = Math.ceil(change.siteIds.length / 2);
  return [change.siteIds.slice(0, half), change.siteIds.slice(half)].flatMap((siteIds) =>
    noticesOf(serverId, { kind: 'records', siteIds }),
  );
}

/**
 * Live pages across several servers on PostgreSQL: each server NOTIFYs the changes it makes
 * (taps stored, a terminal's status, records built) and LISTENs for the others', emitting
 * `change` for each, at once, with no table to poll or prune. A connection lost (the
 * database restarting) is made again every second until it is back; what was notified
 * meanwhile is missed, which costs a live page one refresh, never data.
 */
export class NotifiedChangeFeed extends EventEmitter<{ change: [Change] }> {
  readonly #url: string;
  readonly #serverId: string;
  readonly #log: Logger;
  readonly #publisher: pg.Pool;
  #listener: pg.Client | null = null;
  #stopped = false;
  /** Notices waiting for the send under way, in the order first published. */
  readonly #pending = new Set<string>();
  #sending: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;

  constructor(deps: { url: string; serverId: string; log: Logger }) {
    super();
    this.#url = deps.url;
    this.#serverId = deps.serverId;
    this.#log = deps.log;
    // One connection: notices from one session arrive in the order they were sent.
    this.#publisher = new pg.Pool({ connectionString: deps.url, max: 1, connectionTimeoutMillis: 5_000 });
    this.#publisher.on('error', (error) => this.#log.warn({ err: error }, 'change feed connection lost'));
  }

  /** Listens from now on; resolves once listening, or rejects when the database cannot be reached. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#listen();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => undefined);
    await this.#sending;
    await this.#publisher.end();
  }

  /**
   * Tells the other servers; a failure costs their pages one refresh, never this server's work.
   * One send at a time: what changes meanwhile goes with the next, each notice once. At the
   * morning rush a change a batch would otherwise cost a round trip to the database each.
   */
  publish(change: Change): void {
    for (const notice of noticesOf(this.#serverId, change)) this.#pending.add(notice);
    this.#sending ??= this.#send();
  }

  async #send(): Promise<void> {
    while (this.#pending.size > 0 && !this.#stopped) {
      const notices = [...this.#pending];
      this.#pending.clear();
      await this.#publisher
        .query('SELECT pg_notify($1, notice) FROM unnest($2::text[]) AS notice', [CHANGES_CHANNEL, notices])
        .catch((error: unknown) => this.#log.warn({ err: error }, 'could not note a change for the other servers'));
    }
    this.#sending = null;
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url, application_name: 'ccus-gate-server changes' });
    const lost = (error?: Error) => {
      if (this.#listener !== client) return;
      this.#listener = null;
      client.end().catch(() => undefined);
      if (this.#stopped) return;
      this.#log.warn({ err: error }, 'change feed lost its connection; listening again');
      this.#retryLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => this.#received(message.payload));
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.#listener = client;
  }

  #retryLater(): void {
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#stopped) return;
      this.#listen().catch((error: unknown) => {
        this.#log.debug({ err: error }, 'change feed cannot reach the database yet');
        this.#retryLater();
      });
    }, RECONNECT_MS);
    this.#retry.unref();
  }

  #received(payload: string | undefined): void {
    try {
      const notice = JSON.parse(payload ?? '') as Notice;
      if (notice.from !== this.#serverId) this.emit('change', notice.change);
    } catch (error) {
      this.#log.warn({ err: error }, 'change feed received a notice it cannot read');
    }
  }
}
