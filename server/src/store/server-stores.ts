import type { AlertSubscriptionStore } from '../alerts/alert-subscriptions.js';
import type { CcusOutbox } from '../ccus/outbox-store.js';
import type { ChangeFeedStore } from '../changes/change-feed-store.js';
import type { EnrolmentStore } from '../enrolment/enrolment-store.js';
import type { QuarantineLog } from '../quarantine/quarantine-log.js';
import type { RecordRebuild } from '../records/record-rebuild.js';
import type { WorkerLinkStore } from '../self-view/worker-link-store.js';
import type { UpdateStore } from '../updates/update-store.js';
import type { CorrectionStore } from './correction-store.js';
import type { DirectoryStore } from './directory-store.js';
import type { RecordQueries } from './record-queries.js';
import type { TapStore } from './tap-store.js';

/**
 * A store as the domain code sees it: each method may answer now or later. The domain code
 * awaits every call, so a PostgreSQL implementation (whose driver can only answer later)
 * fits without touching it; `tests/server/async-repository.test.ts` runs the API on stores
 * that answer everything later.
 */
export type Eventually<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Awaited<R> | Promise<Awaited<R>> : T[K];
};

/**
 * Every store of the server, each owned by one part: server.ts hands each part only the ones
 * it uses (`Pick<ServerStores, ...>`), so a part's signature says what it reads and writes.
 */
export interface ServerStores {
  /** Ingest: taps as terminals send them, and who is on site (store/tap-store.ts). */
  readonly taps: Eventually<TapStore>;
  /** The record builder: queued worker-days built into records (records/record-rebuild.ts). */
  readonly records: Eventually<RecordRebuild>;
  /** The CCUS forwarder: records due, claimed, sent (ccus/outbox-store.ts). */
  readonly outbox: Eventually<CcusOutbox>;
  /** Tenants, accounts, sites, terminals, workers, cards and rosters. */
  readonly directory: Eventually<DirectoryStore>;
  /** Records, taps and unknown cards as people read them. */
  readonly queries: Eventually<RecordQueries>;
  /** Corrections, approvals and the audit trail. */
  readonly corrections: Eventually<CorrectionStore>;
  /** Messages refused at the broker or ingest. */
  readonly quarantineLog: Eventually<QuarantineLog>;
  readonly enrolments: Eventually<EnrolmentStore>;
  readonly workerLinks: Eventually<WorkerLinkStore>;
  readonly alertSubscriptions: Eventually<AlertSubscriptionStore>;
  /** What each of several servers changed, for the others' live pages (changes/). */
  readonly changes: Eventually<ChangeFeedStore>;
  /** Published terminal releases and the rollouts offering them (updates/). */
  readonly updates: Eventually<UpdateStore>;
}
