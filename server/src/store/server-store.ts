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
import type { SqliteEngine } from './engine/sqlite-engine.js';
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
 * Opens every store on one SQLite database (WAL, for concurrent readers). Each part of the
 * server is given only the stores it uses (server.ts): ingest the taps, the record builder
 * the records, the forwarder the outbox, the API what it reads and changes.
 */
export class ServerStore {
  readonly db: SqliteDb;
  /** The same database, for the stores written once for both engines (engine/). */
  readonly engine: SqliteEngine;
  readonly taps: TapStore<SqliteEngine>;
  readonly directory: DirectoryStore<SqliteEngine>;
  readonly queries: RecordQueries<SqliteEngine>;
  readonly corrections: CorrectionStore<SqliteEngine>;
  readonly outbox: CcusOutbox<SqliteEngine>;
  readonly records: RecordRebuild<SqliteEngine>;
  readonly quarantineLog: QuarantineLog<SqliteEngine>;
  readonly enrolments: EnrolmentStore<SqliteEngine>;
  readonly workerLinks: WorkerLinkStore<SqliteEngine>;
  readonly alertSubscriptions: AlertSubscriptionStore<SqliteEngine>;
  readonly changes: ChangeFeedStore<SqliteEngine>;
  readonly updates: UpdateStore<SqliteEngine>;

  private constructor(db: SqliteDb, options: ServerStoreOptions) {
    this.db = db;
    this.engine = db.engine;
    this.taps = new TapStore(this.engine);
    this.outbox = new CcusOutbox(this.engine, options.outbox);
    this.records = new RecordRebuild(this.engine, this.outbox.steps);
    this.quarantineLog = new QuarantineLog(this.engine, options.quarantine);
    this.enrolments = new EnrolmentStore(this.engine);
    this.workerLinks = new WorkerLinkStore(this.engine);
    this.alertSubscriptions = new AlertSubscriptionStore(this.engine);
    this.changes = new ChangeFeedStore(this.engine);
    this.updates = new UpdateStore(this.engine);
    this.directory = new DirectoryStore(this.engine);
    this.queries = new RecordQueries(this.engine, this.outbox.steps);
    this.corrections = new CorrectionStore(this.engine, this.directory, this.queries, this.outbox.steps);
  }

  static open(path: string, now: () => Date = () => new Date(), options: ServerStoreOptions = {}): ServerStore {
    return new ServerStore(SqliteDb.open(path, now), options);
  }

  close(): void {
    this.db.close();
  }
}
