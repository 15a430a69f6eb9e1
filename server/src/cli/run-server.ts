import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { smtpMailer } from '../alerts/alert-delivery.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../broker/embedded-broker.js';
import { MosquittoAccounts } from '../broker/mosquitto-files.js';
import { FileExportGateway } from '../ccus/file-export-gateway.js';
import type { CcusGateway } from '../ccus/gateway.js';
import { HttpCcusGateway } from '../ccus/http-gateway.js';
import { CcusSimulator } from '../ccus/simulator/ccus-simulator.js';
import { urlWithoutPassword } from '../credentials.js';
import { type HttpListener, listenHttp } from '../http/http-listen.js';
import type { MqttIngestOptions } from '../ingest/mqtt-ingest.js';
import { createServer, type SyncServer } from '../server.js';
import type { StoreEngine } from '../store/engine/store-engine.js';
import { isPostgresUrl } from '../store/postgres/pg-migrate.js';
import { ServerStore } from '../store/server-store.js';
import { type ConfigFiles, readServeFiles } from './config-files.js';
import type { ServerConfig } from './server-config.js';

export interface RunningServer {
  server: SyncServer;
  store: ServerStore<StoreEngine>;
  http: HttpListener;
  broker: EmbeddedBroker | null;
  ccus: HttpListener | null;
  stop(): Promise<void>;
}

/** A database URL as it may be printed: without its password. */
export function withoutPassword(database: string): string {
  return isPostgresUrl(database) ? urlWithoutPassword(database) : database;
}

/** The server's stores on its database: a SQLite file, or PostgreSQL (migrated first, as `migrate` does). */
export async function openStore(config: ServerConfig, log: Logger): Promise<ServerStore<StoreEngine>> {
  const options = { outbox: { coalesceMs: config.forwarder.coalesceSeconds * 1000 } };
  return isPostgresUrl(config.database)
    ? await ServerStore.openPostgres(config.database, { ...options, log: log.child({ module: 'server:store' }) })
    : ServerStore.open(config.database, () => new Date(), options);
}

/**
 * Starts the sync server as its config says: store, broker (embedded or joined), CCUS side,
 * HTTP. What its files hold comes from `files`, read before (config-files.ts), never from here.
 */
export async function startFromConfig(
  config: ServerConfig,
  log: Logger,
  files: ConfigFiles = readServeFiles(config),
): Promise<RunningServer> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  };
  try {
    const store = await openStore(config, log);
    cleanups.push(() => store.close());

    let ccusListener: HttpListener | null = null;
    let gateway: CcusGateway;
    if (config.ccus.mode === 'http') {
      gateway = new HttpCcusGateway(config.ccus.url, { timeoutMs: config.ccus.timeoutSeconds * 1000 });
    } else if (config.ccus.mode === 'file') {
      gateway = new FileExportGateway(config.ccus.dir);
    } else {
      const simulator = new CcusSimulator();
      ccusListener = await listenHttp(simulator.app, { host: config.ccus.host, port: config.ccus.port });
      cleanups.push(() => ccusListener?.close());
      gateway = new HttpCcusGateway(ccusListener.url);
      log.warn({ url: ccusListener.url }, 'CCUS is the simulator: records go nowhere real');
    }

    let broker: EmbeddedBroker | null = null;
    let join: MqttIngestOptions;
    let publicBroker: { url: string; caCert?: string } | undefined;
    let accounts: MosquittoAccounts | undefined;
    if (config.broker.mode === 'embedded') {
      // The server is both broker and client here: its account needs no file, a fresh secret each start.
      const service = { username: 'ccus-gate-server', password: randomBytes(32).toString('base64url') };
      const tls = files.brokerTls;
      broker = await startEmbeddedBroker({
        host: config.broker.host,
        port: config.broker.port,
        stores: store,
        service,
        log: log.child({ module: 'server:broker' }),
        maxPacketBytes: config.broker.maxPacketKiB * 1024,
        ...(tls === undefined ? {} : { tls }),
      });
      cleanups.push(() => broker?.close());
      const ca = files.brokerCa;
      // Joining our own listener on loopback: with TLS, the certificate names the public host, not 127.0.0.1.
      const publicHost = config.broker.publicUrl === undefined ? undefined : new URL(config.broker.publicUrl).hostname;
      join = {
        url: broker.url.replace('0.0.0.0', '127.0.0.1'),
        ...service,
        ...(ca === undefined ? {} : { ca }),
        ...(tls === undefined || publicHost === undefined ? {} : { servername: publicHost }),
      };
      publicBroker = {
        url: config.broker.publicUrl ?? broker.url,
        ...(ca === undefined ? {} : { caCert: ca.toString('utf8') }),
      };
    } else {
      const ca = files.brokerCa;
      join = {
        url: config.broker.url,
        username: config.broker.username,
        password: files.brokerPassword as string,
        clientId: config.broker.username,
        ...(ca === undefined ? {} : { ca }),
        ...(config.broker.sharedGroup === undefined ? {} : { sharedGroup: config.broker.sharedGroup }),
      };
      publicBroker = {
        url: config.broker.publicUrl ?? config.broker.url,
        ...(ca === undefined ? {} : { caCert: ca.toString('utf8') }),
      };
      if (config.broker.mosquitto !== undefined) {
        accounts = new MosquittoAccounts({
          passwordFile: config.broker.mosquitto.passwordFile,
          ...(config.broker.mosquitto.pidFile === undefined ? {} : { pidFile: config.broker.mosquitto.pidFile }),
          services: [{ username: join.username, password: join.password }],
          ...(config.broker.mosquitto.otherServices === undefined
            ? {}
            : { otherServices: config.broker.mosquitto.otherServices }),
        });
      }
    }

    const server = createServer({
      // Several servers share the ingest: each follows what the others change, for its live pages;
      // on PostgreSQL (where several servers are the point) by LISTEN/NOTIFY, on SQLite by polling.
      ...(isPostgresUrl(config.database)
        ? { changeFeed: { serverId: config.serverId, postgresUrl: config.database } }
        : config.broker.mode === 'external' && config.broker.sharedGroup !== undefined
          ? { changeFeed: { serverId: config.serverId } }
          : {}),
      stores: store,
      broker: join,
      ccus: gateway,
      clock: { now: () => new Date() },
      log,
      publicBroker,
      forwarder: {
        ratePerSecond: config.forwarder.ratePerSecond,
        owner: config.serverId,
        claimLeaseMs: config.forwarder.claimSeconds * 1000,
        maxBackoffMs: config.forwarder.maxBackoffSeconds * 1000,
        breakerResetMs: config.forwarder.breakerResetSeconds * 1000,
      },
      alerts: {
        intervalMs: config.alerts.intervalSeconds * 1000,
        mailer:
          config.alerts.smtp === undefined
            ? null
            : smtpMailer({
                host: config.alerts.smtp.host,
                port: config.alerts.smtp.port,
                secure: config.alerts.smtp.secure,
                from: config.alerts.smtp.from,
                ...(config.alerts.smtp.user === undefined ? {} : { user: config.alerts.smtp.user }),
                ...(files.smtpPassword === undefined ? {} : { password: files.smtpPassword }),
              }),
      },
      http: {
        bodyLimits: { maxBytes: config.http.maxBodyKiB * 1024, bulkMaxBytes: config.http.maxBulkBodyKiB * 1024 },
        trustedProxies: config.http.trustedProxies,
      },
      ...(accounts === undefined ? {} : { brokerAccounts: accounts }),
      ...(broker === null ? {} : { brokerConnections: () => broker?.connections() ?? 0 }),
      ...(config.updates === undefined || files.updatesKey === undefined
        ? {}
        : { updates: { ...files.updatesKey, dir: config.updates.dir, publicUrl: config.updates.publicUrl } }),
    });
    const httpTls = files.httpTls;
    const http = await listenHttp(server.app, {
      host: config.http.host,
      port: config.http.port,
      ...(httpTls === undefined ? {} : { tls: httpTls }),
    });
    cleanups.push(() => http.close());
    await server.start();
    cleanups.push(() => server.stop());
    log.info(
      { http: http.url, broker: broker?.url ?? join.url, database: withoutPassword(config.database) },
      'sync server started',
    );
    return { server, store, http, broker, ccus: ccusListener, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
