import type { Logger } from 'pino';
import { AlertSubscriptionStore } from '../alerts/alert-subscriptions.js';
import { CcusOutbox, type OutboxOptions } from '../ccus/outbox-store.js';
import { ChangeFeedStore } from '../changes/change-feed-store.js';
import { EnrolmentStore } from '../enrolment/enrolment-store.js';
import { QuarantineLog, type QuarantinePolicy } from '../quarantine/quarantine-log.js';
import { RecordRebuild } from '../records/record-rebuild.js';
import { WorkerLinkStore } from '../self-view/worker-link-store.js';
import { UpdateStore } from '../updates/update-store.js';
import { CorrectionStore } from './correction-store.js';
import { DirectoryStore } from './directory-store.js';
import { PostgresEngine } from './engine/postgres-engine.js';
import { SqliteEngine } from './engine/sqlite-engine.js';
import type { StoreEngine } from './engine/store-engine.js';
import { migratePostgres } from './postgres/pg-migrate.js';
import { RecordQueries } from './record-queries.js';
import { SqliteDb } from './sqlite-db.js';
import { TapStore } from './tap-store.js';

export type { StoredBatch } from './tap-store.js';

export interface ServerStoreOptions {
  /** How the CCUS outbox coalesces changes to a record already sent. */
  outbox?: OutboxOptions;
  /** How much of refused messages is kept, per terminal. */
  quarantine?: Partial<QuarantinePolicy>;
}

/**
 * Opens every store on one database: a SQLite file (WAL, for concurrent readers; the default)
 * or PostgreSQL (several servers). Each part of the server is given only the stores it uses
 * (server.ts): ingest the taps, the record builder the records, the forwarder the outbox, the
 * API what it reads and changes.
 */
export class ServerStore<E extends StoreEngine = SqliteEngine> {
  readonly engine: E;
  readonly taps: TapStore<E>;
  readonly directory: DirectoryStore<E>;
  readonly queries: RecordQueries<E>;
  readonly corrections: CorrectionStore<E>;
  readonly outbox: CcusOutbox<E>;
  readonly records: RecordRebuild<E>;
  readonly quarantineLog: QuarantineLog<E>;
  readonly enrolments: EnrolmentStore<E>;
  readonly workerLinks: WorkerLinkStore<E>;
  readonly alertSubscriptions: AlertSubscriptionStore<E>;
  readonly changes: ChangeFeedStore<E>;
  readonly updates: UpdateStore<E>;

  constructor(engine: E, options: ServerStoreOptions = {}) {
    this.engine = engine;
    this.taps = new TapStore(engine);
    this.outbox = new CcusOutbox(engine, options.outbox);
    this.records = new RecordRebuild(engine, this.outbox.steps);
    this.quarantineLog = new QuarantineLog(engine, options.quarantine);
    this.enrolments = new EnrolmentStore(engine);
    this.workerLinks = new WorkerLinkStore(engine);
    this.alertSubscriptions = new AlertSubscriptionStore(engine);
    this.changes = new ChangeFeedStore(engine);
    this.updates = new UpdateStore(engine);
    this.directory = new DirectoryStore(engine);
    this.queries = new RecordQueries(engine, this.outbox.steps);
    this.corrections = new CorrectionStore(engine, this.directory, this.queries, this.outbox.steps);
  }

  /** The stores on a SQLite file, made and migrated when it is new or older. */
  static open(
    path: string,
    now: () => Date = () => new Date(),
    options: ServerStoreOptions = {},
  ): ServerStore<SqliteEngine> {
    return new ServerStore(SqliteDb.open(path, now).engine, options);
  }

  /**
   * The stores on PostgreSQL, its schema first brought up to this server's (as `migrate` does;
   * several servers starting at once migrate once).
   */
  static async openPostgres(
    url: string,
    options: ServerStoreOptions & { now?: () => Date; log?: Logger; poolSize?: number } = {},
  ): Promise<ServerStore<PostgresEngine>> {
    await migratePostgres(url);
    const engine = new PostgresEngine({
      url,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    });
    return new ServerStore(engine, options);
  }

  /** The SQLite database beneath (tests and benchmarks read it directly); there is none on PostgreSQL. */
  get db(): SqliteDb {
    if (!(this.engine instanceof SqliteEngine)) {
      throw new Error('this store is on PostgreSQL: it has no SQLite database to read directly');
    }
    return this.engine.sqlite;
  }

  close(): void | Promise<void> {
    return this.engine.close();
  }
}
