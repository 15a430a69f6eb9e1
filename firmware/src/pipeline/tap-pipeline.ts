import { EventEmitter } from 'node:events';
import type { CardEvent, PatternName, ReaderError } from '@ccus-gate/hardware';
import {
  type CalendarDateIn,
  type CardRef,
  cardKey,
  type Direction,
  type DirectionMode,
  parseCardRef,
  type ShiftState,
  shiftOpen,
  shiftStep,
  type TapFlag,
  type WorkingDayRule,
  workingDay,
} from '@ccus-gate/protocol';
import type { Clock } from '../clock/clock.js';
import { type StoreError, toStoreError } from '../errors.js';
import type { StoredTap, TerminalStore } from '../store/terminal-store.js';
import { Debouncer } from './debouncer.js';
import { decideDirection } from './direction.js';

export interface PipelineSettings {
  directionMode: DirectionMode;
  /** The site's maximum shift: how long after an entry a toggle tap past the day boundary is still its exit. */
  maxShiftMs: number;
  /** For two-reader gates: which reader is the entry and which the exit. */
  readerDirections: Readonly<Record<string, Direction>>;
  debounceMs: number;
  unknownCard: 'accept' | 'refuse';
  workingDay: WorkingDayRule;
}

export type TapOutcome =
  | { kind: 'entry' | 'exit'; tap: StoredTap; offline: boolean }
  | { kind: 'unknown'; tap: StoredTap; offline: boolean }
  | { kind: 'already'; card: CardRef }
  | { kind: 'refused'; card: CardRef }
  | { kind: 'readError'; error: ReaderError | Error }
  | { kind: 'fault'; card: CardRef; error: StoreError | Error };

/** The feedback pattern for each outcome. */
export function patternFor(outcome: TapOutcome): PatternName {
  switch (outcome.kind) {
    case 'entry':
    case 'exit':
      return outcome.offline ? 'offline' : outcome.kind;
    default:
      return outcome.kind;
  }
}

export interface PipelineDeps {
  clock: Clock;
  store: TerminalStore;
  /** Plays the pattern for an outcome; called only after the outcome is final. */
  feedback: (pattern: PatternName, outcome: TapOutcome) => void;
  /** Whether the terminal currently reaches its server, for the offline pattern. */
  online: () => boolean;
  /** The calendar date in the site's zone (ICU's date formatter unless given). */
  calendarDate?: CalendarDateIn;
  /** What the server last said of the subject's presence at the site, if it has said anything. */
  presence?: (subject: string) => KnownPresence | undefined;
}

/** The server's word, as of `issuedAtMs`, on whether a worker is on site (from every terminal there). */
export interface KnownPresence {
  issuedAtMs: number;
  /** Their open shift, or null when they are not on site. */
  entry: { sinceMs: number; recordDay: string } | null;
}

/**
 * read → debounce → resolve → direction → durable commit → feedback.
 * Synchronous from card to commit, so taps are recorded strictly in the order read.
 */
/** How long the gate took to answer: from the card event to the start of its feedback. */
export interface TapTiming {
  answeredMs: number;
}

export class TapPipeline extends EventEmitter<{ outcome: [TapOutcome, TapTiming] }> {
  readonly #deps: PipelineDeps;
  #settings: PipelineSettings;
  #debouncer: Debouncer;

  constructor(deps: PipelineDeps, settings: PipelineSettings) {
    super();
    this.#deps = deps;
    this.#settings = settings;
    this.#debouncer = new Debouncer(settings.debounceMs);
  }

  get settings(): PipelineSettings {
    return this.#settings;
  }

  configure(settings: PipelineSettings): void {
    if (settings.debounceMs !== this.#settings.debounceMs) this.#debouncer = new Debouncer(settings.debounceMs);
    this.#settings = settings;
  }

  handleCard(event: CardEvent): TapOutcome {
    const started = performance.now();
    let card: CardRef;
    try {
      card = parseCardRef(event.id, event.tech);
    } catch (error) {
      return this.#finish({ kind: 'readError', error: error as Error }, started);
    }
    return this.#finish(this.#decide(card, event.reader), started);
  }

  handleReadError(error: ReaderError): TapOutcome {
    return this.#finish({ kind: 'readError', error }, performance.now());
  }

  #decide(card: CardRef, reader: string): TapOutcome {
    const { clock, store } = this.#deps;
    const settings = this.#settings;
    const mono = clock.monotonicMs();
    const key = cardKey(card);
    const seen = this.#debouncer.check(key, reader, mono);
    if (seen === 'repeat') return { kind: 'already', card };
    this.#debouncer.remember(key, reader, mono);

    try {
      const workerId = store.resolveCard(card);
      if (workerId === null && settings.unknownCard === 'refuse') return { kind: 'refused', card };
      const at = clock.now();
      const day = workingDay(at, settings.workingDay, this.#deps.calendarDate);
      const toggled = settings.directionMode === 'toggle';
      const onSite = toggled && this.#onSite(workerId ?? key, at, day);
      const direction = decideDirection(settings.directionMode, { reader, onSite }, settings.readerDirections);
      const clockState = clock.sync();
      const flags: TapFlag[] = workerId === null ? ['unknown_card'] : [];
      if (toggled) flags.push('toggle');
      if (seen === 'correction') flags.push('reader_correction');
      const tap = store.commitTap({
        card,
        workerId,
        direction,
        at,
        workingDay: day,
        bootId: clock.bootId,
        mono,
        clockSynced: clockState.synced,
        flags,
      });
      const offline = !this.#deps.online();
      if (workerId === null) return { kind: 'unknown', tap, offline };
      return { kind: direction === 'in' ? 'entry' : 'exit', tap, offline };
    } catch (error) {
      // Not recorded, so the card may be tapped again at once.
      this.#debouncer.forget(key, reader);
      return { kind: 'fault', card, error: error instanceof Error ? error : toStoreError(error, 'recording a tap') };
    }
  }

  /**
   * Whether the subject's shift is still open, by protocol's shift rule: from what the server
   * last said (every terminal at the site), then this terminal's own taps since; without word
   * from the server (offline since start), from this terminal's taps of two working days back
   * (a shift reaches at most one boundary back).
   */
  #onSite(subject: string, at: Date, day: string): boolean {
    const since = new Date(Date.parse(`${day}T00:00:00Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
    const maxShiftMs = this.#settings.maxShiftMs;
    const known = this.#deps.presence?.(subject);
    let state: ShiftState | null =
      known?.entry == null ? null : { last: 'in', recordDay: known.entry.recordDay, shiftStartMs: known.entry.sinceMs };
    const fromMs = known?.issuedAtMs ?? Number.NEGATIVE_INFINITY;
    for (const tap of this.#deps.store.recentTaps(subject, since)) {
      const atMs = Date.parse(tap.at);
      if (atMs <= fromMs) continue;
      state = shiftStep(state, { atMs, day: tap.workingDay, direction: tap.direction }, maxShiftMs).state;
    }
    return shiftOpen(state, { atMs: at.getTime(), day }, maxShiftMs);
  }

  #finish(outcome: TapOutcome, started: number): TapOutcome {
    this.#deps.feedback(patternFor(outcome), outcome);
    this.emit('outcome', outcome, { answeredMs: performance.now() - started });
    return outcome;
  }
}
