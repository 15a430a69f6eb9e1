import { systemTimers, type TextDisplay, type Timers } from '@ccus-gate/hardware';
import type { GateLanguage } from '@ccus-gate/protocol';
import type { TapOutcome } from '../pipeline/tap-pipeline.js';
import { GATE_MESSAGES, type GateMessages } from './gate-messages.js';

/** How long what a tap did stays on the display before the idle screen returns. */
export const OUTCOME_HOLD_MS = 5_000;

/** What the terminal is doing while nobody taps. */
export interface IdleState {
  online: boolean;
  /** Taps stored here and not yet acknowledged by the server. */
  waiting: number;
}

const clockTimes = new Map<string, Intl.DateTimeFormat>();

/** Hours and minutes in the site's zone, 24-hour: what a worker checks against their own watch. */
export function clockTime(at: string | Date, timeZone: string): string {
  let format = clockTimes.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clockTimes.set(timeZone, format);
  }
  return format.format(typeof at === 'string' ? new Date(at) : at);
}

/** The lines for what a tap did. No names: the terminal never has them, only the ID's last four digits. */
export function outcomeLines(outcome: TapOutcome, t: GateMessages, timeZone: string): string[] {
  switch (outcome.kind) {
    case 'entry':
    case 'exit': {
      const time = clockTime(outcome.tap.at, timeZone);
      const worker = t.worker((outcome.tap.workerId ?? '').slice(-4));
      return [outcome.kind === 'entry' ? t.entry(time) : t.exit(time), outcome.offline ? t.storedOffline : worker];
    }
    case 'unknown':
      return [t.unknownCard, outcome.offline ? t.storedOffline : t.unknownHint];
    case 'already':
      return [t.already, outcome.card.tech === 'qr' ? t.worker(outcome.card.id.slice(-4)) : ''];
    case 'refused':
      return [t.refused, t.refusedHint];
    case 'readError':
      return [t.readError, t.readErrorHint];
    case 'fault':
      return [t.fault, t.faultHint];
  }
}

export function idleLines(state: IdleState, t: GateMessages): string[] {
  return [state.online ? t.online : t.offline, state.waiting > 0 ? t.waiting(String(state.waiting)) : ''];
}

/**
 * The display at the gate: what each tap did, for a few seconds, in the site's language, then
 * the terminal's state. It is written after the tap's feedback has started, never before.
 */
export class GateDisplay {
  readonly #display: TextDisplay;
  readonly #timers: Timers;
  readonly #idle: () => IdleState;
  #language: GateLanguage = 'ja';
  #timeZone: string;
  #hold: unknown = null;

  constructor(display: TextDisplay, deps: { idle: () => IdleState; timeZone: string; timers?: Timers }) {
    this.#display = display;
    this.#idle = deps.idle;
    this.#timeZone = deps.timeZone;
    this.#timers = deps.timers ?? systemTimers;
  }

  /** The site's language and time zone, from the terminal's config. */
  configure(language: GateLanguage, timeZone: string): void {
    const changed = language !== this.#language;
    this.#language = language;
    this.#timeZone = timeZone;
    if (changed) this.refresh();
  }

  showOutcome(outcome: TapOutcome): void {
    this.#showFor(outcomeLines(outcome, GATE_MESSAGES[this.#language], this.#timeZone));
  }

  /** Every character the display has, for the technician's self-test. */
  showTestScreen(): void {
    const t = GATE_MESSAGES[this.#language];
    this.#showFor([t.selftest, t.selftestHint]);
  }

  /** The idle screen again, unless a tap's outcome is still being shown. */
  refresh(): void {
    if (this.#hold !== null) return;
    this.#display.show(idleLines(this.#idle(), GATE_MESSAGES[this.#language]));
  }

  close(): void {
    if (this.#hold !== null) this.#timers.clearTimeout(this.#hold);
    this.#hold = null;
    this.#display.close();
  }

  #showFor(lines: string[]): void {
    if (this.#hold !== null) this.#timers.clearTimeout(this.#hold);
    this.#display.show(lines);
    this.#hold = this.#timers.setTimeout(() => {
      this.#hold = null;
      this.refresh();
    }, OUTCOME_HOLD_MS);
  }
}
