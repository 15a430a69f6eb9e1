import type { AlertSubscriptionStore } from '../alerts/alert-subscriptions.js';
import type { EnrolmentStore } from '../enrolment/enrolment-store.js';
import type { QuarantineLog } from '../quarantine/quarantine-log.js';
import type { WorkerLinkStore } from '../self-view/worker-link-store.js';
import type { CorrectionStore } from './correction-store.js';
import type { DirectoryStore } from './directory-store.js';
import type { RecordQueries } from './record-queries.js';
import type { ServerStore } from './server-store.js';

/**
 * The store as the domain code (ingest, records, forwarder, HTTP API, brokers) sees it: the
 * SQLite repositories' methods, each of which may answer now or later. The domain code
 * awaits every call, so a PostgreSQL implementation (whose driver can only answer later)
 * fits without touching it; `tests/server/async-repository.test.ts` runs the API on a
 * repository that answers everything later.
 */
export type Eventually<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => R | Promise<R> : T[K];
};

export interface ServerRepository
  extends Eventually<
    Pick<
      ServerStore,
      | 'storeBatch'
      | 'rebuildQueuedRecords'
      | 'queuedRecords'
      | 'presence'
      | 'tapCount'
      | 'quarantine'
      | 'claimDue'
      | 'holdClaim'
      | 'markAccepted'
      | 'markRefused'
      | 'markRetry'
      | 'requeueSending'
    >
  > {
  readonly directory: Eventually<DirectoryStore>;
  readonly queries: Eventually<RecordQueries>;
  readonly corrections: Eventually<CorrectionStore>;
  readonly quarantineLog: Eventually<QuarantineLog>;
  readonly enrolments: Eventually<EnrolmentStore>;
  readonly workerLinks: Eventually<WorkerLinkStore>;
  readonly alertSubscriptions: Eventually<AlertSubscriptionStore>;
}
