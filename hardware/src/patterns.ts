import type { OutputRole } from './output.js';

/** One step: the outputs named are switched on for `ms`, every other output is off. */
export interface PatternStep {
  on: OutputRole[];
  ms: number;
}

export type Pattern = readonly PatternStep[];

/**
 * The default feedback patterns, by name. Data, not code: a hardware profile may
 * replace any of them. Designed to be told apart without looking: entry and exit
 * differ in beeps, refusals are red and long, the fault pattern is unlike any tap.
 */
export const DEFAULT_PATTERNS = {
  entry: [
    { on: ['green', 'buzzer', 'relay'], ms: 120 },
    { on: ['green', 'relay'], ms: 600 },
  ],
  exit: [
    { on: ['green', 'buzzer', 'relay'], ms: 80 },
    { on: ['green', 'relay'], ms: 80 },
    { on: ['green', 'buzzer', 'relay'], ms: 80 },
    { on: ['green', 'relay'], ms: 500 },
  ],
  already: [
    { on: ['green'], ms: 150 },
    { on: [], ms: 100 },
    { on: ['green'], ms: 150 },
  ],
  unknown: [
    { on: ['red', 'buzzer'], ms: 400 },
    { on: ['red'], ms: 400 },
  ],
  refused: [{ on: ['red', 'buzzer'], ms: 800 }],
  readError: [
    { on: ['red', 'buzzer'], ms: 60 },
    { on: [], ms: 60 },
    { on: ['red', 'buzzer'], ms: 60 },
  ],
  // An entry or exit recorded while the server is out of reach: still accepted, so the gate opens.
  offline: [
    { on: ['green', 'red', 'buzzer', 'relay'], ms: 120 },
    { on: ['green', 'red', 'relay'], ms: 600 },
  ],
  fault: [
    { on: ['red', 'buzzer'], ms: 200 },
    { on: [], ms: 200 },
    { on: ['red', 'buzzer'], ms: 200 },
    { on: [], ms: 200 },
    { on: ['red', 'buzzer'], ms: 200 },
  ],
} as const satisfies Record<string, Pattern>;

export type PatternName = keyof typeof DEFAULT_PATTERNS;

/**
 * Each light and the buzzer in turn, for a self-test someone watches at the gate. The relay
 * is left out: a remote self-test must never open the gate.
 */
export const SELFTEST_PATTERN: Pattern = [
  { on: ['green'], ms: 400 },
  { on: [], ms: 150 },
  { on: ['red'], ms: 400 },
  { on: [], ms: 150 },
  { on: ['buzzer'], ms: 200 },
];
