import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import {
  type CardReader,
  DEFAULT_PATTERNS,
  type Outputs,
  type Pattern,
  type PatternName,
  PatternPlayer,
  SELFTEST_PATTERN,
  type TextDisplay,
  type Timers,
} from '@ccus-gate/hardware';
import {
  type CalendarDateIn,
  type OnlineStatus,
  type TerminalConfig,
  type TerminalId,
  workingDay,
} from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import type { Clock } from './clock/clock.js';
import { trackClock } from './clock/clock-tracker.js';
import { GateDisplay } from './display/gate-display.js';
import { type HealthSources, MACHINE, probeHealth } from './health/health-probe.js';
import { type TapOutcome, TapPipeline, type TapTiming } from './pipeline/tap-pipeline.js';
import type { SettledTap, TerminalStore } from './store/terminal-store.js';
import { SyncAgent, type SyncOptions } from './sync/sync-agent.js';
import { DEFAULT_SETTINGS, settingsFromConfig, type TerminalSettings } from './terminal-settings.js';

export { DEFAULT_SETTINGS, type TerminalSettings } from './terminal-settings.js';

/** This release's version: the firmware package's, which `npm run release` stamps. */
export const FIRMWARE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface TerminalDeps {
  terminalId: TerminalId;
  clock: Clock;
  store: TerminalStore;
  /** One reader, or two for a two-reader gate (see `settings.readerDirections`). */
  readers: CardReader[];
  outputs: Outputs;
  /** A display saying what each tap did, in the site's language (optional). */
  display?: TextDisplay;
  transport: Omit<SyncOptions, 'terminalId'>;
  log: Logger;
  settings?: Partial<TerminalSettings>;
  patterns?: Partial<Record<PatternName, Pattern>>;
  timers?: Timers;
  /**
   * The calendar date in the site's zone: ICU's date formatter unless given. The terminal's own
   * process passes `processZoneCalendarDate`, which costs far less memory but sets the process's TZ.
   */
  calendarDate?: CalendarDateIn;
  /** Why the profile's outputs could not be opened (they are in the log only), for the status. */
  outputsFault?: string;
  /** Something that happened before start and belongs in the status, e.g. a store replaced. */
  startupError?: { code: string; message: string };
  /** Where the machine's health is read (health/health-probe.ts); the machine's own files by default. */
  health?: HealthSources;
  /** The last over-the-air update and how it went (update/updater.ts), for the status. */
  update?: () => OnlineStatus['update'];
}

export interface TerminalEvents {
  /** A tap's outcome, after the commit and as its feedback starts. */
  outcome: [TapOutcome, TapTiming];
  /** Taps the server has answered for. */
  settled: [SettledTap[]];
  connected: [];
  disconnected: [];
  rosterApplied: [{ version: number; entries: number }];
}

const PRUNE_BATCH = 500;

export interface Terminal extends EventEmitter<TerminalEvents> {
  readonly pipeline: TapPipeline;
  readonly sync: SyncAgent;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): OnlineStatus;
}

/** Wires readers, pipeline, store, feedback and sync into one terminal. */
export function createTerminal(deps: TerminalDeps): Terminal {
  const { store, log } = deps;
  const events = new EventEmitter<TerminalEvents>();
  const player = new PatternPlayer<PatternName | 'selftest'>(
    deps.outputs,
    { ...DEFAULT_PATTERNS, ...deps.patterns, selftest: SELFTEST_PATTERN },
    deps.timers,
  );
  let settings: TerminalSettings = { ...DEFAULT_SETTINGS, ...deps.settings };
  let lastError: OnlineStatus['lastError'] =
    deps.startupError === undefined
      ? null
      : { ...deps.startupError, message: deps.startupError.message.slice(0, 300), at: deps.clock.now().toISOString() };
  let readerState: OnlineStatus['reader']['state'] = 'starting';
  let readerErrors = 0;
  let lastCommand: OnlineStatus['lastCommand'] = null;
  let storeFault = false;
  let maintenanceTimer: NodeJS.Timeout | null = null;
  let pruning = false;

  const recordError = (code: string, message: string): void => {
    lastError = { code, message: message.slice(0, 300), at: clock.now().toISOString() };
  };

  const clock = trackClock(deps.clock, {
    toleranceMs: settings.clockToleranceMs,
    onSynced: (offsetMs, source) => {
      try {
        const corrected = store.correctBoot(deps.clock.bootId, offsetMs, (at) =>
          workingDay(at, settings.workingDay, deps.calendarDate),
        );
        log.info({ source, corrected }, 'clock synchronised');
      } catch (error) {
        log.error({ err: error }, 'could not correct taps after the clock synchronised');
      }
    },
  });

  const status = (): OnlineStatus => {
    const counts = store.counts();
    const reader = deps.readers[0];
    return {
      v: 1,
      terminalId: deps.terminalId,
      state: 'online',
      at: clock.now().toISOString(),
      firmware: FIRMWARE_VERSION,
      bootId: clock.bootId,
      queueDepth: counts.pending,
      oldestUndeliveredAt: store.oldestPendingAt(),
      rejectedCount: counts.rejected,
      clock: clock.sync(),
      rosterVersion: store.rosterVersion(),
      reader: { state: readerState, model: reader ? reader.info().model.slice(0, 64) : null },
      store: { state: storeFault ? 'fault' : 'ok' },
      lastError,
      lastCommand,
      update: deps.update?.() ?? null,
      health: probeHealth(deps.health ?? MACHINE, {
        storePath: store.path,
        store,
        totalTaps: counts.pending + counts.delivered + counts.rejected,
        readerErrors,
        outputsFault: deps.outputsFault ?? null,
        now: clock.now(),
      }),
    };
  };

  const sync = new SyncAgent(
    { ...deps.transport, terminalId: deps.terminalId },
    { store, clock, log: log.child({ module: 'terminal:sync' }), status },
  );
  // Who the server says is on site (from every terminal there); in memory, sent again on connect.
  let presence: {
    version: number;
    siteId: string;
    issuedAtMs: number;
    onSite: Map<string, { sinceMs: number; recordDay: string }>;
  } | null = null;
  // The site of the config in force: a snapshot for another site (a terminal just moved) is not ours.
  let configSite: string | null = null;
  const pipeline = new TapPipeline(
    {
      clock,
      store,
      online: () => sync.connected,
      presence: (subject) =>
        presence === null || presence.siteId !== configSite
          ? undefined
          : { issuedAtMs: presence.issuedAtMs, entry: presence.onSite.get(subject) ?? null },
      ...(deps.calendarDate === undefined ? {} : { calendarDate: deps.calendarDate }),
      feedback: (pattern) => {
        void player.play(pattern);
      },
    },
    settings,
  );

  const setStoreFault = (fault: boolean): void => {
    if (fault === storeFault) return;
    storeFault = fault;
    log[fault ? 'error' : 'info']({ fault }, fault ? 'store fault' : 'store recovered');
    sync.publishStatus();
  };

  const gate =
    deps.display === undefined
      ? null
      : new GateDisplay(deps.display, {
          idle: () => ({ online: sync.connected, waiting: store.counts().pending }),
          timeZone: settings.workingDay.timeZone,
          ...(deps.timers === undefined ? {} : { timers: deps.timers }),
        });

  pipeline.on('outcome', (outcome, timing) => {
    if (outcome.kind === 'fault') {
      const code = (outcome.error as { code?: unknown }).code;
      recordError(code === 'disk_full' ? 'disk_full' : 'store_fault', outcome.error.message);
      log.error({ err: outcome.error }, 'tap could not be recorded');
      setStoreFault(true);
    } else if ('tap' in outcome) {
      setStoreFault(false);
      // The gate answers first; sending waits for the next turn of the event loop.
      setImmediate(() => sync.kick());
    }
    events.emit('outcome', outcome, timing);
    // After the feedback has started: the display is the slower of the two.
    gate?.showOutcome(outcome);
  });
  sync.on('settled', (taps) => {
    for (const tap of taps) {
      if (tap.state === 'rejected') {
        recordError('tap_rejected', `seq ${tap.seq}: ${tap.reason ?? 'no reason given'}`);
        log.warn({ seq: tap.seq, reason: tap.reason }, 'server rejected a tap; kept with its reason');
      }
    }
    events.emit('settled', taps);
    gate?.refresh();
  });
  sync.on('serverTime', ({ serverTime, sentAtMono }) => {
    const check = clock.observeServerTime(serverTime, sentAtMono);
    if (!check.agrees) {
      const seconds = (Math.abs(check.skewMs) / 1000).toFixed(1);
      recordError(
        'clock_skew',
        `this terminal's clock is ${seconds} s ${check.skewMs < 0 ? 'behind' : 'ahead of'} the server's`,
      );
      log.warn({ skewMs: check.skewMs }, 'clock disagrees with the server');
    }
  });
  sync.on('connected', () => {
    gate?.refresh();
    events.emit('connected');
  });
  sync.on('disconnected', () => {
    gate?.refresh();
    events.emit('disconnected');
  });
  sync.on('roster', (roster) => {
    try {
      if (store.applyRoster(roster)) {
        log.info({ version: roster.version, entries: roster.entries.length }, 'roster applied');
        events.emit('rosterApplied', { version: roster.version, entries: roster.entries.length });
        sync.publishStatus();
      }
    } catch (error) {
      log.error({ err: error }, 'roster could not be applied');
    }
  });
  sync.on('presence', (snapshot) => {
    if (presence !== null && presence.version >= snapshot.version) return;
    presence = {
      version: snapshot.version,
      siteId: snapshot.siteId,
      issuedAtMs: Date.parse(snapshot.issuedAt),
      onSite: new Map(
        snapshot.onSite.map((entry) => [
          entry.workerId,
          { sinceMs: Date.parse(entry.since), recordDay: entry.recordDay },
        ]),
      ),
    };
    log.debug({ version: snapshot.version, onSite: snapshot.onSite.length }, 'presence applied');
  });
  const applyConfig = (config: TerminalConfig): void => {
    configSite = config.siteId;
    settings = settingsFromConfig(config, settings);
    pipeline.configure(settings);
    gate?.configure(config.language, config.timeZone);
  };
  sync.on('config', (config) => {
    const saved = store.savedConfig();
    if (saved !== null && saved.version > config.version) {
      log.warn({ version: config.version, saved: saved.version }, 'config older than the one applied, ignored');
      return;
    }
    applyConfig(config);
    try {
      if (store.saveConfig(config)) log.info({ version: config.version }, 'config applied');
    } catch (error) {
      log.error({ err: error }, 'config applied but could not be saved');
    }
  });
  const saved = store.savedConfig();
  if (saved !== null) applyConfig(saved);
  sync.on('command', (command) => {
    log.info({ command: command.command, id: command.id }, 'command received');
    const answer = (result: { ok: boolean; detail: string }): void => {
      lastCommand = { id: command.id, command: command.command, at: clock.now().toISOString(), ...result };
      sync.publishStatus();
    };
    if (command.command === 'report_status') answer({ ok: true, detail: 'status sent' });
    else if (command.command === 'resync_roster') {
      sync.resubscribe('roster');
      answer({ ok: true, detail: 'roster asked for again' });
    } else {
      void selftest().then(answer, (error: unknown) => answer({ ok: false, detail: String((error as Error).message) }));
    }
  });

  /**
   * Lights each output in turn for whoever watches at the gate, and asks each reader what it
   * is: the answer says whether every reader is there and working.
   */
  const selftest = async (): Promise<{ ok: boolean; detail: string }> => {
    gate?.showTestScreen();
    await player.play('selftest');
    const readers = deps.readers.map((reader) => reader.info());
    for (const info of readers) log.info({ reader: info }, 'selftest: reader');
    const ok = readers.length > 0 && readerState === 'ok' && !storeFault;
    const detail = [
      `outputs played; reader ${readerState}`,
      ...readers.map((r) => `${r.model}${r.firmware === null ? '' : ` firmware ${r.firmware}`}`),
      ...(storeFault ? ['store fault'] : []),
    ]
      .join('; ')
      .slice(0, 300);
    return { ok, detail };
  };

  /** Prunes in small batches, yielding between them so taps at the gate go first. */
  const prune = (): void => {
    if (pruning) return;
    pruning = true;
    const before = new Date(clock.now().getTime() - settings.retentionDays * 86_400_000);
    const step = (): void => {
      try {
        if (store.prune(before, PRUNE_BATCH) === PRUNE_BATCH) {
          setImmediate(step);
          return;
        }
      } catch (error) {
        log.warn({ err: error }, 'pruning failed; will try again');
      }
      pruning = false;
    };
    step();
  };

  const maintain = (): void => {
    // Reading the clock state notices the system's sync marker and corrects earlier taps.
    clock.sync();
    if (storeFault) {
      try {
        store.probeWritable();
        setStoreFault(false);
      } catch {
        // Still faulted; the status already says so.
      }
    }
    if (!storeFault) prune();
  };

  const onCard = (event: Parameters<TapPipeline['handleCard']>[0]): void => {
    // A reader that reads again has recovered, whatever it reported before.
    readerState = 'ok';
    pipeline.handleCard(event);
  };
  const onReadError = (error: Parameters<TapPipeline['handleReadError']>[0]): void => {
    readerErrors++;
    if (error.code === 'disconnected' || error.code === 'no_response') readerState = 'error';
    pipeline.handleReadError(error);
  };

  return Object.assign(events, {
    pipeline,
    sync,
    status,
    async start(): Promise<void> {
      for (const reader of deps.readers) {
        reader.on('card', onCard);
        reader.on('error', onReadError);
        await reader.start();
      }
      readerState = deps.readers.length > 0 ? 'ok' : 'absent';
      gate?.refresh();
      sync.start();
      maintain();
      maintenanceTimer = setInterval(maintain, settings.maintenanceIntervalMs);
      maintenanceTimer.unref();
    },
    async stop(): Promise<void> {
      if (maintenanceTimer !== null) clearInterval(maintenanceTimer);
      for (const reader of deps.readers) {
        reader.off('card', onCard);
        reader.off('error', onReadError);
        await reader.stop();
      }
      player.stop();
      gate?.close();
      await sync.stop();
    },
  });
}
