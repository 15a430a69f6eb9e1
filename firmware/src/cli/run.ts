import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { systemClock } from '../clock/clock.js';
import { processZoneCalendarDate } from '../clock/site-zone.js';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { TerminalStore } from '../store/terminal-store.js';
import { createTerminal, FIRMWARE_VERSION } from '../terminal.js';
import { releaseLayout, runningFromReleases } from '../update/release-layout.js';
import { Updater } from '../update/updater.js';
import { buildHardware } from './hardware.js';
import { systemdNotifier } from './systemd.js';

export function readSecret(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`cannot read the ${what} from ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (text === '') throw new Error(`${file} is empty; it should hold the ${what}`);
  return text;
}

/**
 * `ccus-gate-terminal run`: the terminal until SIGTERM. Each tap's outcome is logged once,
 * after its commit, so the journal shows what the gate answered.
 */
export async function runTerminal(config: TerminalRuntimeConfig, log: Logger): Promise<void> {
  const password = readSecret(config.broker.passwordFile, 'broker password');
  const ca = config.broker.caFile === undefined ? undefined : readFileSync(config.broker.caFile);
  const { store, movedAside } = TerminalStore.openOrRecover(config.store.path, {
    maxBytes: config.store.maxMegabytes === null ? null : config.store.maxMegabytes * 1024 * 1024,
  });
  const startupError =
    movedAside === null
      ? undefined
      : {
          code: 'store_replaced',
          message: `the store was corrupt and was moved to ${movedAside}; its unsent taps need recovering (firmware/README.md)`,
        };
  if (startupError !== undefined) log.error({ movedAside }, startupError.message);
  const hardware = await buildHardware(config, log, process.stdin, { outputsOptional: true });
  if (hardware.outputsFault !== null) {
    log.error(
      { err: hardware.outputsFault },
      'the lights, buzzer and relay could not be opened: taps are still taken and kept, without feedback at the gate',
    );
  }
  const releases = runningFromReleases();
  let lastTapAt: number | null = null;
  let restartForUpdate = (): void => {};
  let publishStatus = (): void => {};
  const updater = new Updater({
    layout: releases === null ? null : releaseLayout(releases),
    running: FIRMWARE_VERSION,
    releaseKey:
      config.updates.releaseKeyFile === undefined
        ? null
        : createPublicKey(readSecret(config.updates.releaseKeyFile, 'release key')),
    download: { username: config.terminalId, password, ...(ca === undefined ? {} : { ca }) },
    quietMs: config.updates.quietSeconds * 1000,
    confirmMs: config.updates.confirmSeconds * 1000,
    lastTapAt: () => lastTapAt,
    restart: () => restartForUpdate(),
    changed: () => publishStatus(),
    now: () => new Date(),
    log: log.child({ module: 'terminal:update' }),
  });
  const { readers, outputs } = hardware;
  const terminal = createTerminal({
    terminalId: config.terminalId,
    clock: systemClock({ syncMarker: config.clock.syncMarker }),
    store,
    readers,
    outputs,
    ...(hardware.display === undefined ? {} : { display: hardware.display }),
    ...(hardware.outputsFault === null ? {} : { outputsFault: hardware.outputsFault.message }),
    patterns: hardware.patterns,
    transport: {
      url: config.broker.url,
      password,
      ackTimeoutMs: config.broker.ackTimeoutSeconds * 1000,
      ...(ca === undefined ? {} : { ca }),
    },
    log,
    // This process is one terminal: the site's zone can be its own (see site-zone.ts).
    calendarDate: processZoneCalendarDate,
    ...(startupError === undefined ? {} : { startupError }),
    update: () => updater.report(),
    settings: {
      directionMode: config.pipeline.directionMode,
      readerDirections: config.pipeline.readerDirections,
      debounceMs: config.pipeline.debounceSeconds * 1000,
      unknownCard: config.pipeline.unknownCard,
      workingDay: { timeZone: config.pipeline.timeZone, dayBoundary: config.pipeline.dayBoundary },
      retentionDays: config.pipeline.retentionDays,
      clockToleranceMs: config.clock.toleranceSeconds * 1000,
    },
  });
  publishStatus = () => terminal.sync.publishStatus();
  terminal.sync.on('config', (offered) => {
    if (offered.update !== undefined) updater.offer(offered.update);
  });
  // Online with its store: a release just updated to is working, and stays.
  terminal.on('connected', () => updater.confirm());
  terminal.on('outcome', (outcome, timing) => {
    if ('tap' in outcome) {
      lastTapAt = Date.now();
      log.info(
        {
          event: 'tap',
          outcome: outcome.kind,
          seq: outcome.tap.seq,
          card: outcome.tap.card,
          offline: outcome.offline,
          answeredMs: Math.round(timing.answeredMs * 100) / 100,
        },
        'tap recorded',
      );
    } else if (outcome.kind === 'readError') {
      log.warn({ event: 'tap', outcome: outcome.kind, err: outcome.error }, 'card could not be read');
    } else if (outcome.kind !== 'fault') {
      log.info({ event: 'tap', outcome: outcome.kind, card: outcome.card }, 'tap not recorded');
    } else if ((outcome.error as { code?: unknown }).code === 'corrupt') {
      // A store that broke while running: restart, so the next start moves it aside (see openOrRecover).
      log.fatal({ err: outcome.error }, 'the store is corrupt; restarting to replace it');
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    }
  });

  const systemd = await systemdNotifier(log);
  let stopping: Promise<void> | null = null;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ signal }, 'stopping');
      updater.stop();
      systemd.stop();
      await terminal.stop();
      hardware.close();
      store.close();
    })();
    return stopping;
  };
  await terminal.start();
  updater.start();
  log.info(
    {
      terminalId: config.terminalId,
      firmware: FIRMWARE_VERSION,
      store: config.store.path,
      pending: store.counts().pending,
    },
    'terminal started',
  );
  systemd.ready(`serving taps; ${store.counts().pending} waiting to be sent`);
  await new Promise<void>((resolve) => {
    // The new release is in place: stop as for SIGTERM, and the service manager starts the launcher again.
    restartForUpdate = () => {
      void stop('update').then(resolve, (error: unknown) => {
        log.error({ err: error }, 'unclean stop');
        resolve();
      });
    };
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void stop(signal).then(resolve, (error: unknown) => {
          log.error({ err: error }, 'unclean stop');
          resolve();
        });
      });
    }
  });
}
