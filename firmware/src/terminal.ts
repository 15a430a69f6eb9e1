import { EventEmitter } from 'node:events';
import {
  type CardReader,
  DEFAULT_PATTERNS,
  type Outputs,
  type Pattern,
  type PatternName,
  PatternPlayer,
  type Timers,
} from '@ccus-gate/hardware';
import {
  DEFAULT_WORKING_DAY_RULE,
  type Direction,
  type DirectionMode,
  type OnlineStatus,
  type TerminalConfig,
  type TerminalId,
} from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import type { Clock } from './clock/clock.js';
import { type PipelineSettings, type TapOutcome, TapPipeline } from './pipeline/tap-pipeline.js';
import type { SettledTap, TerminalStore } from './store/terminal-store.js';
import { SyncAgent, type SyncOptions } from './sync/sync-agent.js';

export const FIRMWARE_VERSION = '0.1.0';

export interface TerminalDeps {
  terminalId: TerminalId;
  clock: Clock;
  store: TerminalStore;
  /** One reader, or two for a two-reader gate (see `settings.readerDirections`). */
  readers: CardReader[];
  outputs: Outputs;
  transport: Omit<SyncOptions, 'terminalId'>;
  log: Logger;
  settings?: Partial<PipelineSettings>;
  patterns?: Partial<Record<PatternName, Pattern>>;
  timers?: Timers;
}

export interface TerminalEvents {
  /** A tap's outcome, after the commit and as its feedback starts. */
  outcome: [TapOutcome];
  /** Taps the server has answered for. */
  settled: [SettledTap[]];
  connected: [];
  disconnected: [];
  rosterApplied: [{ version: number; entries: number }];
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  directionMode: 'toggle',
  readerDirections: {},
  debounceMs: 10_000,
  unknownCard: 'accept',
  workingDay: DEFAULT_WORKING_DAY_RULE,
};

export interface Terminal extends EventEmitter<TerminalEvents> {
  readonly pipeline: TapPipeline;
  readonly sync: SyncAgent;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): OnlineStatus;
}

/** Wires readers, pipeline, store, feedback and sync into one terminal. */
export function createTerminal(deps: TerminalDeps): Terminal {
  const { clock, store, log } = deps;
  const events = new EventEmitter<TerminalEvents>();
  const player = new PatternPlayer<PatternName>(deps.outputs, { ...DEFAULT_PATTERNS, ...deps.patterns }, deps.timers);
  let lastError: OnlineStatus['lastError'] = null;
  let readerState: OnlineStatus['reader']['state'] = 'starting';
  let storeFault = false;

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
    };
  };

  const sync = new SyncAgent(
    { ...deps.transport, terminalId: deps.terminalId },
    { store, clock, log: log.child({ module: 'terminal:sync' }), status },
  );
  const pipeline = new TapPipeline(
    {
      clock,
      store,
      online: () => sync.connected,
      feedback: (pattern) => {
        void player.play(pattern);
      },
    },
    { ...DEFAULT_SETTINGS, ...deps.settings },
  );

  pipeline.on('outcome', (outcome) => {
    if (outcome.kind === 'fault') {
      storeFault = true;
      lastError = { code: 'store_fault', message: outcome.error.message.slice(0, 300), at: clock.now().toISOString() };
      log.error({ err: outcome.error }, 'tap could not be recorded');
      sync.publishStatus();
    } else if ('tap' in outcome) {
      storeFault = false;
      // The gate answers first; sending waits for the next turn of the event loop.
      setImmediate(() => sync.kick());
    }
    events.emit('outcome', outcome);
  });
  sync.on('settled', (taps) => events.emit('settled', taps));
  sync.on('connected', () => events.emit('connected'));
  sync.on('disconnected', () => events.emit('disconnected'));
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
  sync.on('config', (config) => {
    pipeline.configure(settingsFromConfig(config, pipeline.settings));
    log.info({ version: config.version }, 'config applied');
  });
  sync.on('command', (command) => {
    if (command.command === 'report_status') sync.publishStatus();
    else log.warn({ command: command.command }, 'command not supported by this firmware yet');
  });

  const onCard = (event: Parameters<TapPipeline['handleCard']>[0]): void => {
    pipeline.handleCard(event);
  };
  const onReadError = (error: Parameters<TapPipeline['handleReadError']>[0]): void => {
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
      sync.start();
    },
    async stop(): Promise<void> {
      for (const reader of deps.readers) {
        reader.off('card', onCard);
        reader.off('error', onReadError);
        await reader.stop();
      }
      player.stop();
      await sync.stop();
    },
  });
}

function settingsFromConfig(config: TerminalConfig, current: PipelineSettings): PipelineSettings {
  const directionMode: DirectionMode = config.directionMode;
  const readerDirections: Record<string, Direction> =
    directionMode === 'two-reader' && Object.keys(current.readerDirections).length === 0
      ? { in: 'in', out: 'out' }
      : current.readerDirections;
  return {
    directionMode,
    readerDirections,
    debounceMs: config.debounceSeconds * 1000,
    unknownCard: config.unknownCard,
    workingDay: { timeZone: config.timeZone, dayBoundary: config.dayBoundary },
  };
}
