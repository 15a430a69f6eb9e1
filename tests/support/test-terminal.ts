import { join } from 'node:path';
import {
  type Clock,
  createTerminal,
  type TapOutcome,
  type Terminal,
  type TerminalSettings,
  TerminalStore,
} from '@ccus-gate/firmware';
import { RecordingOutput, SimulatedReader, type TextDisplay } from '@ccus-gate/hardware';
import type { Roster, TerminalConfig, TerminalId } from '@ccus-gate/protocol';
import { pino } from 'pino';

export interface TestClock extends Clock {
  /** Time passes: wall and monotonic move together. */
  advance(ms: number): void;
  /** The wall clock is set (by NTP or by hand): monotonic time does not move. */
  jump(ms: number): void;
  setSynced(synced: boolean): void;
}

export function testClock(start: string, options: { synced?: boolean; bootId?: string } = {}): TestClock {
  let wall = Date.parse(start);
  let mono = 10_000;
  let synced = options.synced ?? true;
  return {
    bootId: options.bootId ?? '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
    now: () => new Date(wall),
    monotonicMs: () => mono,
    sync: () => (synced ? { synced: true, source: 'system' } : { synced: false, source: 'none' }),
    advance(ms) {
      wall += ms;
      mono += ms;
    },
    jump(ms) {
      wall += ms;
    },
    setSynced(value) {
      synced = value;
    },
  };
}

export interface TestTerminal {
  terminal: Terminal;
  store: TerminalStore;
  reader: SimulatedReader;
  outputs: Record<'green' | 'red' | 'buzzer' | 'relay', RecordingOutput>;
  outcomes: TapOutcome[];
  /** One tap of a card: presented and taken away. */
  tap(hex: string): TapOutcome;
  stop(): Promise<void>;
}

/** A terminal with a simulated reader and recording outputs, its store in `dir`. */
export async function startTestTerminal(options: {
  dir: string;
  url: string;
  terminalId: TerminalId;
  password: string;
  clock: Clock;
  settings?: Partial<TerminalSettings>;
  ackTimeoutMs?: number;
  maxBytes?: number;
  /** The CA to trust for an mqtts:// broker. */
  ca?: string;
  /** Known before start, as if received on an earlier connection. */
  roster?: Roster;
  config?: TerminalConfig;
  display?: TextDisplay;
}): Promise<TestTerminal> {
  const store = TerminalStore.open(join(options.dir, 'terminal.db'), { maxBytes: options.maxBytes ?? null });
  if (options.roster !== undefined) store.applyRoster(options.roster);
  if (options.config !== undefined) store.saveConfig(options.config);
  const reader = new SimulatedReader('sim');
  const outputs = {
    green: new RecordingOutput('green'),
    red: new RecordingOutput('red'),
    buzzer: new RecordingOutput('buzzer'),
    relay: new RecordingOutput('relay'),
  };
  const terminal = createTerminal({
    terminalId: options.terminalId,
    clock: options.clock,
    store,
    readers: [reader],
    outputs,
    ...(options.display === undefined ? {} : { display: options.display }),
    transport: {
      url: options.url,
      password: options.password,
      ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    },
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    settings: { debounceMs: 0, ...options.settings },
  });
  const outcomes: TapOutcome[] = [];
  terminal.on('outcome', (outcome) => outcomes.push(outcome));
  await terminal.start();
  return {
    terminal,
    store,
    reader,
    outputs,
    outcomes,
    tap(hex) {
      const before = outcomes.length;
      reader.tap(hex);
      const outcome = outcomes[before];
      if (outcome === undefined) throw new Error(`tapping ${hex} produced no outcome`);
      return outcome;
    },
    async stop() {
      await terminal.stop();
      store.close();
    },
  };
}
