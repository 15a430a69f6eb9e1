import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  checkConfig,
  DayBoundarySchema,
  DIRECTION_MODES,
  type Direction,
  readJsonConfig,
  SiteIdSchema,
  type TerminalId,
  TerminalIdSchema,
  TimeZoneSchema,
  WallTimeSchema,
} from '@ccus-gate/protocol';
import { z } from 'zod';

export { ConfigError, type ConfigProblem } from '@ccus-gate/protocol';

/**
 * The terminal's JSON config file (/etc/ccus-gate/terminal.json on a Pi). Only what the
 * terminal needs before it first reaches its server; the server's retained config message
 * overrides the pipeline settings once it arrives.
 */
const ConfigFileSchema = z.strictObject({
  terminalId: TerminalIdSchema,
  broker: z.strictObject({
    url: z
      .string()
      .regex(/^mqtts?:\/\/[^/\s]+(:\d+)?\/?$/, 'must be mqtt://host:port or mqtts://host:port')
      .describe('mqtt://host:port or mqtts://host:port'),
    /** A file holding the terminal's password, readable only by the service user. */
    passwordFile: z.string().min(1),
    /** CA certificate file for mqtts, when the broker's certificate is not from a public CA. */
    caFile: z.string().min(1).optional(),
    ackTimeoutSeconds: z.int().min(1).max(600).default(30),
  }),
  store: z
    .strictObject({
      path: z.string().min(1).default('/var/lib/ccus-gate/terminal.db'),
      /** Caps the database, so a long outage fills the store, not the SD card. */
      maxMegabytes: z.int().min(1).max(1_000_000).nullable().default(2048),
    })
    .prefault({}),
  pipeline: z
    .strictObject({
      directionMode: z.enum(DIRECTION_MODES).default('toggle'),
      /** For two-reader gates: reader name → direction. */
      readerDirections: z.record(z.string().min(1), z.enum(['in', 'out'])).default({}),
      debounceSeconds: z.int().min(0).max(3600).default(10),
      unknownCard: z.enum(['accept', 'refuse']).default('accept'),
      timeZone: TimeZoneSchema.default('Asia/Tokyo'),
      dayBoundary: DayBoundarySchema.default('04:00'),
      retentionDays: z.int().min(1).max(3650).default(90),
    })
    .prefault({}),
  clock: z
    .strictObject({
      syncMarker: z.string().min(1).default('/run/systemd/timesync/synchronized'),
      toleranceSeconds: z.number().min(0.1).max(300).default(2),
    })
    .prefault({}),
  hardware: z
    .strictObject({
      /** A hardware profile file (see hardware/profiles/), or `simulated`, which runs anywhere. */
      profile: z.string().min(1).default('simulated'),
      /** For `simulated`: where card ids come from, one hex id per line on stdin, or nowhere. */
      cards: z.enum(['stdin', 'none']).default('stdin'),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
    .prefault({}),
  updates: z
    .strictObject({
      /** The operator's Ed25519 public key (PEM), from the provisioning bundle: only releases it signed install. */
      releaseKeyFile: z.string().min(1).optional(),
      /** No tap for this long before restarting into a new release. */
      quietSeconds: z.int().min(0).max(3600).default(60),
      /** How long a new release has to come online before the launcher goes back to the previous one. */
      confirmSeconds: z.int().min(10).max(3600).default(300),
    })
    .prefault({}),
  /** Written by `provision`: the issue time and site of the bundle this config came from. */
  provisioned: z.strictObject({ issuedAt: WallTimeSchema, siteId: SiteIdSchema.nullable() }).optional(),
});

export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface TerminalRuntimeConfig extends Omit<ConfigFile, 'terminalId' | 'pipeline'> {
  terminalId: TerminalId;
  pipeline: Omit<ConfigFile['pipeline'], 'readerDirections'> & { readerDirections: Record<string, Direction> };
  /** Where the file was read from; relative paths in it are relative to its folder. */
  source: string;
}

/** Checks a parsed config; throws a ConfigError naming every bad option. */
export function parseConfig(input: unknown, file = '<config>'): TerminalRuntimeConfig {
  const config = checkConfig(ConfigFileSchema, input, file, 'firmware/README.md');
  const base = file.startsWith('<') ? process.cwd() : dirname(resolve(file));
  const path = (p: string): string => resolve(base, p);
  return {
    ...config,
    terminalId: config.terminalId as TerminalId,
    broker: {
      ...config.broker,
      passwordFile: path(config.broker.passwordFile),
      ...(config.broker.caFile === undefined ? {} : { caFile: path(config.broker.caFile) }),
    },
    store: { ...config.store, path: path(config.store.path) },
    updates: {
      ...config.updates,
      ...(config.updates.releaseKeyFile === undefined ? {} : { releaseKeyFile: path(config.updates.releaseKeyFile) }),
    },
    hardware: {
      ...config.hardware,
      profile: config.hardware.profile === 'simulated' ? 'simulated' : path(config.hardware.profile),
    },
    pipeline: { ...config.pipeline, readerDirections: config.pipeline.readerDirections as Record<string, Direction> },
    source: file,
  };
}

/** Reads and checks the config file; any problem (missing, not JSON, bad option) is a ConfigError. */
export function loadConfig(file: string): TerminalRuntimeConfig {
  return parseConfig(
    readJsonConfig(file, (path) => readFileSync(path, 'utf8')),
    file,
  );
}
