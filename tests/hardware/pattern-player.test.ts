import { type Outputs, PatternPlayer, RecordingOutput } from '@ccus-gate/hardware';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

describe('pattern player', () => {
  let outputs: Outputs & { green: RecordingOutput; red: RecordingOutput; buzzer: RecordingOutput };

  beforeEach(() => {
    vi.useFakeTimers();
    const now = () => Date.now();
    outputs = {
      green: new RecordingOutput('green', now),
      red: new RecordingOutput('red', now),
      buzzer: new RecordingOutput('buzzer', now),
    };
  });
  afterEach(() => vi.useRealTimers());

  const timeline = () =>
    [outputs.green, outputs.red, outputs.buzzer]
      .flatMap((o) => o.changes)
      .sort((a, b) => a.at - b.at)
      .map((c) => `${c.at - start}:${c.output}=${c.on ? 'on' : 'off'}`);
  let start = 0;

  it('plays the exact on/off sequence of a pattern and ends with everything off', async () => {
    start = Date.now();
    const player = new PatternPlayer(outputs, {
      beep: [
        { on: ['green', 'buzzer'], ms: 100 },
        { on: ['green'], ms: 300 },
      ],
    });
    const done = player.play('beep');
    await vi.advanceTimersByTimeAsync(400);
    await done;
    expect(timeline()).toEqual(['0:green=on', '0:buzzer=on', '100:buzzer=off', '400:green=off']);
  });

  it('lets a new pattern interrupt the one playing', async () => {
    start = Date.now();
    const player = new PatternPlayer(outputs, {
      long: [{ on: ['green'], ms: 1000 }],
      refuse: [{ on: ['red'], ms: 200 }],
    });
    const first = player.play('long');
    await vi.advanceTimersByTimeAsync(50);
    const second = player.play('refuse');
    await first;
    await vi.advanceTimersByTimeAsync(200);
    await second;
    expect(timeline()).toEqual(['0:green=on', '50:green=off', '50:red=on', '250:red=off']);
  });

  it('refuses an unknown pattern name', () => {
    const player = new PatternPlayer<string>(outputs, { beep: [] });
    expect(() => player.play('nope' as never)).toThrow(/no pattern named "nope"/);
  });
});

describe('default patterns', () => {
  it('open the gate (relay) only for an accepted entry or exit, online or offline', async () => {
    const { DEFAULT_PATTERNS, SELFTEST_PATTERN } = await import('@ccus-gate/hardware');
    const opening = Object.entries(DEFAULT_PATTERNS)
      .filter(([, steps]) => steps.some((step) => (step.on as readonly string[]).includes('relay')))
      .map(([name]) => name)
      .sort();
    expect(opening).toEqual(['entry', 'exit', 'offline']);
    expect(SELFTEST_PATTERN.some((step) => step.on.includes('relay'))).toBe(false);
  });
});
