import { EventEmitter } from 'node:events';
import type { SiteId, TerminalId } from '@ccus-gate/protocol';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Mailer } from './alerts/alert-delivery.js';
import { AlertDispatcher } from './alerts/alert-dispatcher.js';
import { createHttpApi } from './api/http-api.js';
import type { BrokerAccount } from './broker/mosquitto-files.js';
import { type BreakerState, CcusForwarder, type ForwarderOptions } from './ccus/forwarder.js';
import type { CcusGateway } from './ccus/gateway.js';
import type { OutboxItem } from './ccus/outbox-store.js';
import { ChangeFeed } from './changes/change-feed.js';
import type { Change } from './changes/change-feed-store.js';
import { NotifiedChangeFeed } from './changes/notified-change-feed.js';
import { EnrolByTap } from './enrolment/enrol-by-tap.js';
import type { BodyLimits } from './http/body-limit.js';
import { clientAddressOf, httpsOf } from './http/client-address.js';
import { SignInLimiter } from './http/sign-in-limiter.js';
import { MqttIngest, type MqttIngestOptions } from './ingest/mqtt-ingest.js';
import { PresencePublisher } from './ingest/presence-publisher.js';
import type { IngestResult } from './ingest/tap-ingest.js';
import { ServerMetrics } from './metrics/server-metrics.js';
import { RecordBuilder } from './records/record-builder.js';
import type { RecordKey } from './records/record-queue.js';
import { createSelfView } from './self-view/self-view-routes.js';
import type { ServerStores } from './store/server-stores.js';
import type { UpdatesSetup } from './updates/release-upload.js';
import { createDashboard, withDashboard } from './web/dashboard.js';

export interface ServerDeps {
  /** Every store; each part below is handed only those it uses. */
  stores: ServerStores;
  /** The broker to join, embedded or external, with the service account. */
  broker: MqttIngestOptions;
  ccus: CcusGateway;
  clock: { now(): Date };
  log: Logger;
  /** Rate limit, backoff and circuit breaker of the CCUS forwarder. */
  forwarder?: ForwarderOptions;
  /** Where terminals reach the broker, for provisioning bundles (may differ from the server's own URL). */
  publicBroker?: { url: string; caCert?: string };
  /** An external broker's account list (Mosquitto's password file), kept in step with the terminal registry. */
  brokerAccounts?: { sync(accounts: BrokerAccount[]): unknown };
  /** Connections to the embedded broker now, for the metrics; absent with an external broker. */
  brokerConnections?: () => number;
  /** Alert delivery: the SMTP server for e-mail (none: e-mail deliveries wait and retry), and how often to look. */
  alerts?: { mailer?: Mailer | null; intervalMs?: number; firstRetryMs?: number };
  /**
   * Several servers on one database: this one's name, and how it hears what the others changed,
   * so its live pages follow their taps too: polling the feed's table every `pollMs` (SQLite),
   * or LISTEN/NOTIFY at `postgresUrl`. Absent: the only server.
   */
  changeFeed?: { serverId: string; pollMs?: number } | { serverId: string; postgresUrl: string };
  /** Over-the-air updates of terminals (updates/): absent, none are offered. */
  updates?: UpdatesSetup;
  http?: {
    bodyLimits?: BodyLimits;
    /** Proxies whose X-Forwarded-For is believed (client-address.ts). */
    trustedProxies?: readonly string[];
  };
}

export interface SyncServerEvents {
  batch: [{ terminalId: TerminalId; result: IngestResult; ackMs: number }];
  accepted: [{ item: OutboxItem; receipt: string }];
  refused: [{ item: OutboxItem; reason: string }];
  retrying: [{ item: OutboxItem; reason: string; inMs: number }];
  status: [{ terminalId: TerminalId; state: string; queueDepth?: number }];
  breaker: [BreakerState];
  /** Work records built or changed. */
  records: [RecordKey[]];
  /** Taps, a status or records changed by another server on the same database (changes/). */
  remote: [Change];
}

export interface SyncServer extends EventEmitter<SyncServerEvents> {
  readonly app: Hono;
  readonly metrics: ServerMetrics;
  /** Delivers alerts by e-mail and webhook; `tick()` runs a turn now (tests, and after a change). */
  readonly alerts: AlertDispatcher;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends the current roster to every terminal at the site. */
  publishSiteRoster(siteId: SiteId): Promise<void>;
}

export function createServer(deps: ServerDeps): SyncServer {
  const now = (): Date => deps.clock.now();
  const events = new EventEmitter<SyncServerEvents>();
  const { taps, records: recordStore, outbox, directory, queries, corrections, quarantineLog } = deps.stores;
  const { enrolments, workerLinks, alertSubscriptions, changes, updates } = deps.stores;
  const feedLog = deps.log.child({ module: 'server:changes' });
  const feed =
    deps.changeFeed === undefined
      ? null
      : 'postgresUrl' in deps.changeFeed
        ? new NotifiedChangeFeed({ url: deps.changeFeed.postgresUrl, serverId: deps.changeFeed.serverId, log: feedLog })
        : new ChangeFeed({ store: changes, ...deps.changeFeed, log: feedLog, now });
  feed?.on('change', (change) => events.emit('remote', change));
  const ingest = new MqttIngest(deps.broker, {
    stores: { taps, directory, quarantineLog },
    log: deps.log.child({ module: 'server:ingest' }),
    now,
  });
  const forwarderDeps = {
    stores: { outbox },
    gateway: deps.ccus,
    log: deps.log.child({ module: 'server:ccus' }),
    now,
    ...deps.forwarder,
  };
  const forwarder = new CcusForwarder(forwarderDeps);
  const records = new RecordBuilder({
    stores: { records: recordStore },
    log: deps.log.child({ module: 'server:records' }),
  });
  const alerts = new AlertDispatcher(
    {
      mailer: deps.alerts?.mailer ?? null,
      ...(deps.alerts?.intervalMs === undefined ? {} : { intervalMs: deps.alerts.intervalMs }),
      ...(deps.alerts?.firstRetryMs === undefined ? {} : { firstRetryMs: deps.alerts.firstRetryMs }),
    },
    { stores: { alertSubscriptions, directory, queries }, log: deps.log.child({ module: 'server:alerts' }), now },
  );
  const metrics = new ServerMetrics({
    queuedRecords: () => recordStore.queued(),
    brokerConnected: () => ingest.connected,
    ...(deps.brokerConnections === undefined ? {} : { brokerConnections: deps.brokerConnections }),
  });
  // What the server sends terminals on its own (a roster, a config) when something changed: a
  // database that is away for now costs this one send, and the terminal gets the next.
  const publishLog = deps.log.child({ module: 'server:publish' });
  const inBackground = (what: string, send: Promise<unknown>): void => {
    send.catch((error: unknown) => publishLog.warn({ err: error }, `could not send ${what}`));
  };
  const enrol = new EnrolByTap({
    stores: { enrolments, corrections },
    log: deps.log.child({ module: 'server:enrolment' }),
    effects: {
      rosterChanged: (siteIds) => {
        for (const siteId of new Set(siteIds)) inBackground('a roster', ingest.publishSiteRoster(siteId as SiteId));
      },
      recordsQueued: () => records.kick(),
    },
  });
  ingest.on('batch', (batch) => {
    records.noteIngest();
    if (batch.result.inserted > 0 && batch.result.enrolmentWaiting) void enrol.onBatch(batch.terminalId);
    metrics.ackSeconds.observe(batch.ackMs / 1000);
    metrics.batches.inc({ outcome: batch.result.ack.error === null ? 'stored' : 'refused' });
    metrics.tapsStored.inc(batch.result.inserted);
    if (batch.result.inserted > 0) feed?.publish({ kind: 'taps', terminalId: batch.terminalId });
    events.emit('batch', batch);
  });
  ingest.on('status', (status) => {
    metrics.status(status.terminalId, status);
    feed?.publish({ kind: 'status', terminalId: status.terminalId });
    events.emit('status', status);
  });
  ingest.on('records', () => records.kick());
  const presence = new PresencePublisher(
    (siteId) => ingest.publishSitePresence(siteId),
    deps.log.child({ module: 'server:presence' }),
  );
  records.on('records', (keys) => {
    forwarder.kick();
    presence.note(keys.map((key) => key.siteId as SiteId));
    feed?.publish({ kind: 'records', siteIds: [...new Set(keys.map((key) => key.siteId))] });
    events.emit('records', keys);
  });
  forwarder.on('accepted', (accepted) => {
    metrics.ccusSubmissions.inc({ outcome: 'accepted' });
    events.emit('accepted', accepted);
  });
  forwarder.on('refused', (refused) => {
    metrics.ccusSubmissions.inc({ outcome: 'refused' });
    events.emit('refused', refused);
  });
  forwarder.on('retrying', (retrying) => {
    metrics.ccusSubmissions.inc({ outcome: 'retrying' });
    events.emit('retrying', retrying);
  });
  forwarder.on('breaker', (state) => events.emit('breaker', state));

  const syncAccounts = async (): Promise<void> => {
    if (deps.brokerAccounts === undefined) return;
    try {
      deps.brokerAccounts.sync(await directory.brokerAccounts());
    } catch (error) {
      deps.log.error({ err: error }, "could not update the broker's accounts");
    }
  };

  // One budget of failed sign-ins for the API and the dashboard, per client address.
  const limiter = new SignInLimiter();
  const addressOf = clientAddressOf(deps.http?.trustedProxies);
  const isHttps = httpsOf(deps.http?.trustedProxies);
  const bodyLimits = deps.http?.bodyLimits;
  const api = createHttpApi(
    { directory, queries, corrections, quarantineLog, enrolments, workerLinks, alertSubscriptions, updates },
    {
      now,
      log: deps.log.child({ module: 'server:http' }),
      ...(bodyLimits === undefined ? {} : { bodyLimits }),
      limiter,
      addressOf,
      broker: deps.publicBroker ?? { url: deps.broker.url },
      metrics,
      ccusSites: deps.ccus.sites ?? null,
      updates: deps.updates ?? null,
      effects: {
        rosterChanged: (siteIds) => {
          for (const siteId of new Set(siteIds)) inBackground('a roster', ingest.publishSiteRoster(siteId as SiteId));
        },
        configChanged: (terminalIds) => {
          for (const terminalId of terminalIds) {
            // Config first: a terminal moved to another site applies the new roster under its new config.
            inBackground(
              'a config',
              ingest.publishConfig(terminalId).then(() => ingest.publishRoster(terminalId)),
            );
          }
        },
        recordsQueued: () => records.kick(),
        credentialsChanged: () => void syncAccounts(),
        sendCommand: (terminalId, command) => ingest.sendCommand(terminalId, command),
      },
    },
  ) as unknown as Hono;
  const dashboard = createDashboard({
    api,
    directory,
    events,
    now,
    log: deps.log.child({ module: 'server:web' }),
    limiter,
    addressOf,
    httpsOf: isHttps,
  });

  const selfView = createSelfView({
    stores: { workerLinks, directory, queries, corrections },
    now,
    limiter,
    addressOf,
  });

  return Object.assign(events, {
    app: withDashboard(api, dashboard, bodyLimits, selfView),
    metrics,
    alerts,
    async start(): Promise<void> {
      await syncAccounts();
      await ingest.start();
      // Records queued before a restart.
      records.kick();
      await forwarder.start();
      alerts.start();
      await feed?.start();
    },
    async stop(): Promise<void> {
      await feed?.stop();
      dashboard.close();
      await forwarder.stop();
      await alerts.stop();
      presence.stop();
      await ingest.stop();
      records.stop();
    },
    publishSiteRoster(siteId: SiteId): Promise<void> {
      return ingest.publishSiteRoster(siteId);
    },
  });
}
