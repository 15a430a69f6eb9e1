import {
  GATE_MESSAGES,
  GateDisplay,
  idleLines,
  OUTCOME_HOLD_MS,
  outcomeLines,
  type TapOutcome,
} from '@ccus-gate/firmware';
import { fitLines, lcdCanShow, SimulatedDisplay, type Timers } from '@ccus-gate/hardware';
import {
  GATE_LANGUAGES,
  type GateLanguage,
  parseCardRef,
  parseSiteId,
  parseTerminalId,
  parseWorkerId,
  type TerminalConfig,
} from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';

const WORKER = parseWorkerId('10000000005678');
const CARD = '04A2B3C4';
const TOKYO = 'Asia/Tokyo';

/** Every line the display can show in one language, with sample values where a line takes one. */
function everyLine(language: GateLanguage): string[] {
  const t = GATE_MESSAGES[language];
  return Object.values(t).map((entry) => (typeof entry === 'function' ? entry('23:59') : entry));
}

describe("the gate display's words", () => {
  it('has the same messages in Japanese, English, Vietnamese and Indonesian, none empty', () => {
    const keys = Object.keys(GATE_MESSAGES.ja).sort();
    for (const language of GATE_LANGUAGES) {
      expect(Object.keys(GATE_MESSAGES[language]).sort(), language).toEqual(keys);
      for (const line of everyLine(language)) expect(line.trim(), language).not.toBe('');
    }
  });

  it('fits a 16×2 character LCD in every language: 16 columns, and only what its ROM can show', () => {
    for (const language of GATE_LANGUAGES) {
      for (const line of [...everyLine(language), GATE_MESSAGES[language].waiting('1234')]) {
        expect(lcdCanShow(line), `${language}: ${line}`).toBe(true);
        // Half-width katakana as the LCD counts them: a voiced mark takes a column of its own.
        expect(
          Array.from(line.normalize('NFD').replace(/[\u0300-\u036f]/g, '')).length,
          `${language}: ${line}`,
        ).toBeLessThanOrEqual(16);
      }
    }
  });

  it("returns to the terminal's state once a tap's outcome has been shown for a while", () => {
    const pending: (() => void)[] = [];
    const timers: Timers = {
      setTimeout: (callback, ms) => {
        expect(ms).toBe(OUTCOME_HOLD_MS);
        pending.push(callback);
        return pending.length;
      },
      clearTimeout: () => {},
    };
    const display = new SimulatedDisplay();
    let state = { online: false, waiting: 3 };
    const gate = new GateDisplay(display, { idle: () => state, timeZone: TOKYO, timers });
    gate.configure('id', TOKYO);
    gate.refresh();
    expect(display.current).toEqual(['Offline', '3 antre']);
    gate.showOutcome({ kind: 'readError', error: new Error('x') });
    state = { online: true, waiting: 0 };
    gate.refresh(); // a status change while the outcome is shown does not cut it short
    expect(display.current).toEqual(['Gagal dibaca', 'Coba lagi']);
    pending.shift()?.();
    expect(display.current).toEqual(['Online', '']);
  });
});

/**
 * A terminal with a simulated display, in each language: every outcome a worker can meet at
 * the gate, as the display shows it. Offline, so "saved offline" shows too.
 */
describe.each(GATE_LANGUAGES)('a terminal whose site speaks %s', (language) => {
  let dir: ReturnType<typeof tempDir>;
  let t: TestTerminal;
  let display: SimulatedDisplay;
  const clock = testClock('2026-11-24T08:01:00.000+09:00');

  beforeEach(async () => {
    dir = tempDir(`display-${language}`);
    display = new SimulatedDisplay();
    const config: TerminalConfig = {
      v: 1,
      version: 1,
      siteId: parseSiteId('11'),
      timeZone: TOKYO,
      dayBoundary: '04:00',
      directionMode: 'toggle',
      debounceSeconds: 10,
      unknownCard: 'accept',
      retentionDays: 30,
      maxShiftHours: 16,
      language,
    };
    t = await startTestTerminal({
      dir: dir.path,
      // Nothing listens there: the terminal is offline, as after a cut cable.
      url: 'mqtt://127.0.0.1:9',
      terminalId: parseTerminalId('gate-display'),
      password: 'x'.repeat(32),
      clock,
      config,
      display,
      settings: { debounceMs: 10_000 },
      roster: {
        v: 1,
        siteId: parseSiteId('11'),
        version: 1,
        issuedAt: '2026-11-24T07:00:00.000+09:00',
        entries: [{ card: parseCardRef(CARD), workerId: WORKER }],
      },
    });
  });

  afterEach(async () => {
    await t.stop();
    dir.remove();
  });

  it('says what each tap did, in that language', () => {
    const t9 = GATE_MESSAGES[language];
    const shows = (outcome: TapOutcome): string[] =>
      fitLines(outcomeLines(outcome, t9, TOKYO), 16, 2).map((l) => l.trimEnd());
    expect(display.current).toEqual([t9.offline, '']);

    const entry = t.tap(CARD);
    expect(entry.kind).toBe('entry');
    expect(display.current).toEqual(shows(entry));
    expect(display.current).toEqual([t9.entry('08:01'), t9.storedOffline]);

    expect(t.tap(CARD).kind).toBe('already');
    expect(display.current).toEqual([t9.already, '']);

    const unknown = t.tap('04FFFFFF');
    expect(unknown.kind).toBe('unknown');
    expect(display.current).toEqual([t9.unknownCard, t9.storedOffline]);

    clock.advance(9 * 3_600_000 + 29 * 60_000);
    const exit = t.tap(CARD);
    expect(exit.kind).toBe('exit');
    expect(display.current).toEqual([t9.exit('17:30'), t9.storedOffline]);

    t.reader.tap('not a card');
    expect(display.current).toEqual([t9.readError, t9.readErrorHint]);

    t.terminal.pipeline.configure({ ...t.terminal.pipeline.settings, unknownCard: 'refuse' });
    expect(t.tap('04EEEEEE').kind).toBe('refused');
    expect(display.current).toEqual([t9.refused, t9.refusedHint]);

    // A full disk: taps go on until the store has no room left, and the display says so.
    t.store.setSizeLimit(1);
    let last: TapOutcome | undefined;
    for (let i = 0; i < 2_000 && last?.kind !== 'fault'; i++) {
      clock.advance(11_000);
      last = t.tap(CARD);
    }
    expect(last?.kind).toBe('fault');
    expect(display.current).toEqual([t9.fault, t9.faultHint]);
  });
});

describe('the words a worker reads', () => {
  it('are the ones a time clock uses, with the last four digits of the ID and the site’s time', () => {
    const entry = {
      kind: 'entry',
      offline: false,
      tap: { at: '2026-11-23T23:01:00.000Z', workerId: WORKER },
    } as unknown as TapOutcome;
    expect(outcomeLines(entry, GATE_MESSAGES.ja, TOKYO)).toEqual(['シュッキン 08:01', 'ID ...5678']);
    expect(outcomeLines(entry, GATE_MESSAGES.vi, TOKYO)).toEqual(['Vào 08:01', 'ID ...5678']);
    expect(outcomeLines(entry, GATE_MESSAGES.en, 'Asia/Ho_Chi_Minh')).toEqual(['IN  06:01', 'ID ...5678']);
    expect(idleLines({ online: false, waiting: 12 }, GATE_MESSAGES.ja)).toEqual(['オフライン', 'ミソウシン 12ケン']);
  });
});
