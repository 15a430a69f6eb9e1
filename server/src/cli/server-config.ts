import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { checkConfig, LIMITS, readJsonConfig } from '@ccus-gate/protocol';
import { z } from 'zod';
import { DEFAULT_MAX_PACKET_BYTES } from '../broker/embedded-broker.js';
import { checkTrustedProxies } from '../http/client-address.js';
import { isPostgresUrl } from '../store/postgres/pg-migrate.js';

const MqttUrl = z.string().regex(/^mqtts?:\/\/[^/\s]+(:\d+)?\/?$/, 'must be mqtt://host:port or mqtts://host:port');
const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const Port = z.int().min(0).max(65_535);
const TlsFiles = z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) });
const TrustedProxy = z.string().superRefine((entry, ctx) => {
  try {
    checkTrustedProxies([entry]);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});
const Seconds = (max: number) => z.number().min(0.001).max(max);

/**
 * The sync server's JSON config file (/etc/ccus-gate/server.json). Options are described
 * in server/README.md; relative paths are relative to the file's folder.
 */
const ServerConfigSchema = z
  .strictObject({
    /** A SQLite file, or a postgres:// URL (CCUS_GATE_DATABASE_URL, when set, takes its place). */
    database: z.string().min(1).default('/var/lib/ccus-gate/server.db'),
    /**
     * This server's name among several sharing one database, the same across restarts (default:
     * the machine's host name). Two servers on one machine each need their own.
     */
    serverId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be letters, digits, dots, dashes, colons or underscores')
      .default(hostname()),
    http: z
      .strictObject({
        host: z.string().min(1).default('0.0.0.0'),
        port: Port.default(8080),
        tls: TlsFiles.optional(),
        maxBodyKiB: z.int().min(1).max(10_240).default(64),
        /** Bulk loads only (a whole site roster in one request). */
        maxBulkBodyKiB: z.int().min(1).max(262_144).default(8192),
        /** Reverse proxies whose X-Forwarded-For names the client: addresses, CIDR ranges, loopback. */
        trustedProxies: z.array(TrustedProxy).max(100).default([]),
      })
      .prefault({}),
    broker: z.discriminatedUnion('mode', [
      z.strictObject({
        mode: z.literal('embedded'),
        host: z.string().min(1).default('0.0.0.0'),
        port: Port.default(1883),
        tls: TlsFiles.optional(),
        /** How terminals reach this broker, for provisioning bundles (e.g. mqtts://gate.example.jp:8883). */
        publicUrl: MqttUrl.optional(),
        /** CA certificate terminals should trust, put into provisioning bundles. */
        caFile: z.string().min(1).optional(),
        /** The largest MQTT packet anyone may send (terminals: at most a tap batch's, 260 KiB). */
        maxPacketKiB: z
          .int()
          .min(Math.ceil(LIMITS.messageBytes.roster / 1024) + 1)
          .max(262_144)
          .default(Math.ceil(DEFAULT_MAX_PACKET_BYTES / 1024)),
      }),
      z.strictObject({
        mode: z.literal('external'),
        url: MqttUrl,
        username: z.string().min(1),
        passwordFile: z.string().min(1),
        caFile: z.string().min(1).optional(),
        /** MQTT 5 shared subscription group, when several sync servers split the ingest. */
        sharedGroup: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, - or _')
          .optional(),
        publicUrl: MqttUrl.optional(),
        /** Keep Mosquitto's password file in step with the terminal registry, and reload it. */
        mosquitto: z
          .strictObject({
            passwordFile: z.string().min(1),
            pidFile: z.string().min(1).optional(),
            /** The other servers' broker user names, when several keep the same password file. */
            otherServices: z
              .array(z.string().regex(/^[^:\s]+$/, 'must be a broker user name'))
              .max(100)
              .optional(),
          })
          .optional(),
      }),
    ]),
    ccus: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('http'), url: HttpUrl, timeoutSeconds: Seconds(300).default(10) }),
        z.strictObject({
          mode: z.literal('simulator'),
          host: z.string().min(1).default('127.0.0.1'),
          port: Port.default(8090),
        }),
        z.strictObject({ mode: z.literal('file'), dir: z.string().min(1) }),
      ])
      .default({ mode: 'simulator', host: '127.0.0.1', port: 8090 }),
    forwarder: z
      .strictObject({
        ratePerSecond: z.number().min(0.01).max(10_000).default(20),
        /** How long a record being sent stays this server's before another may take it over. */
        claimSeconds: Seconds(3600).default(120),
        maxBackoffSeconds: Seconds(86_400).default(3600),
        breakerResetSeconds: Seconds(3600).default(30),
        /** After a record has been sent, its later changes go together, at most once this often (its exit at once). */
        coalesceSeconds: Seconds(86_400).default(600),
      })
      .prefault({}),
    /** Alert delivery (server/README.md, "Alerts"): the SMTP server for e-mail, and how often to look. */
    alerts: z
      .strictObject({
        intervalSeconds: Seconds(3600).default(60),
        smtp: z
          .strictObject({
            host: z.string().min(1),
            port: z.int().min(1).max(65_535).default(587),
            /** TLS from the first byte (port 465); otherwise STARTTLS when offered. */
            secure: z.boolean().default(false),
            user: z.string().min(1).optional(),
            /** A file holding the SMTP password (mode 600), never the password itself. */
            passwordFile: z.string().min(1).optional(),
            from: z.string().min(3),
          })
          .optional(),
      })
      .prefault({}),
    /** Over-the-air updates of terminals (server/README.md, "Updating terminals"). */
    updates: z
      .strictObject({
        /** The operator's Ed25519 public key (PEM, `ccus-gate-server release-key`): releases must carry its signature. */
        publicKeyFile: z.string().min(1),
        /** Where published releases are kept. */
        dir: z.string().min(1).default('/var/lib/ccus-gate/releases'),
        /** This server's HTTP address as terminals reach it; they download from <publicUrl>/updates/. */
        publicUrl: HttpUrl,
      })
      .optional(),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    // A claim that ran out while CCUS was still answering would let a second server send the record
    // too; the forwarder renews a claim once a quarter of it has passed, so a send fits in the rest.
    if (config.ccus.mode === 'http' && config.forwarder.claimSeconds < 2 * config.ccus.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['forwarder', 'claimSeconds'],
        message: `must be at least twice ccus.timeoutSeconds (${config.ccus.timeoutSeconds})`,
      });
    }
  });

export type ServerConfig = z.output<typeof ServerConfigSchema> & { source: string };

/** Checks a parsed config; throws a ConfigError naming every bad option. Paths become absolute. */
export function parseServerConfig(input: unknown, file = '<config>'): ServerConfig {
  const config = checkConfig(ServerConfigSchema, input, file, 'server/README.md');
  const base = file.startsWith('<') ? process.cwd() : dirname(resolve(file));
  const path = (p: string): string => resolve(base, p);
  const tls = (files: { certFile: string; keyFile: string } | undefined) =>
    files === undefined ? {} : { tls: { certFile: path(files.certFile), keyFile: path(files.keyFile) } };
  const broker =
    config.broker.mode === 'embedded'
      ? {
          ...config.broker,
          ...tls(config.broker.tls),
          ...(config.broker.caFile === undefined ? {} : { caFile: path(config.broker.caFile) }),
        }
      : {
          ...config.broker,
          passwordFile: path(config.broker.passwordFile),
          ...(config.broker.caFile === undefined ? {} : { caFile: path(config.broker.caFile) }),
          ...(config.broker.mosquitto === undefined
            ? {}
            : {
                mosquitto: {
                  ...config.broker.mosquitto,
                  passwordFile: path(config.broker.mosquitto.passwordFile),
                  ...(config.broker.mosquitto.pidFile === undefined
                    ? {}
                    : { pidFile: path(config.broker.mosquitto.pidFile) }),
                },
              }),
        };
  return {
    ...config,
    database: isPostgresUrl(config.database) ? config.database : path(config.database),
    http: { ...config.http, ...tls(config.http.tls) },
    broker,
    ccus: config.ccus.mode === 'file' ? { ...config.ccus, dir: path(config.ccus.dir) } : config.ccus,
    alerts:
      config.alerts.smtp?.passwordFile === undefined
        ? config.alerts
        : { ...config.alerts, smtp: { ...config.alerts.smtp, passwordFile: path(config.alerts.smtp.passwordFile) } },
    ...(config.updates === undefined
      ? {}
      : {
          updates: {
            ...config.updates,
            publicKeyFile: path(config.updates.publicKeyFile),
            dir: path(config.updates.dir),
          },
        }),
    source: file,
  };
}

export function loadServerConfig(file: string): ServerConfig {
  return parseServerConfig(
    readJsonConfig(file, (p) => readFileSync(p, 'utf8')),
    file,
  );
}
