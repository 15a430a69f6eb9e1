import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type CardRef, parseCardRef, parseWorkerId, type WorkerId } from '@ccus-gate/protocol';
import { type BenchFigure, figure, percentile } from '../harness.js';

const LOAD = new URL('./terminal-load.mjs', import.meta.url).pathname;

/**
 * Runs the simulated terminals (terminal-load.mjs) in their own process with this plan;
 * resolves with what they print. The plan goes in a file: one argument holds at most 128 KB
 * on Linux, about two thousand workers.
 */
export async function runLoad<T>(plan: unknown): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-load-'));
  try {
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    const { stdout } = await promisify(execFile)(process.execPath, [LOAD, file], { maxBuffer: 256 * 1024 * 1024 });
    return JSON.parse(stdout) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The load's w-th worker: a 14-digit ID and a MIFARE card of their own. */
export const loadWorker = (w: number): { workerId: WorkerId; card: CardRef } => ({
  workerId: parseWorkerId(String(10_000_000_000_001 + w)),
  card: parseCardRef(`04${w.toString(16).toUpperCase().padStart(6, '0')}`),
});

/** What the steady mode prints: per batch publish to ack, per tap taken to acked, and taps never acked. */
export interface SteadyLoad {
  taps: number;
  ackMs: number[];
  /** When each batch of `ackMs` was sent, from the load's start. */
  sentMs: number[];
  tapMs: number[];
  unacked: number;
}

/**
 * The first seconds of a steady load, when 200 terminals have just connected and the server's
 * code paths are cold: acks then took up to half a second where they later took a tenth, so
 * the p99 is also given without them.
 */
const WARM_AFTER_MS = 2_000;

/**
 * The steady load's figures: ack latency per batch (the target), over the whole load and once
 * warm, and beside them per tap.
 */
export function steadyFigures(result: SteadyLoad, load: string): BenchFigure[] {
  const unacked =
    result.unacked > 0 ? ` (${result.unacked} taps unacked 10 s after the load, counted at that age)` : '';
  const warm = result.ackMs.filter((_, i) => (result.sentMs[i] ?? 0) >= WARM_AFTER_MS);
  return [
    figure(
      `ack latency p99 ${load}${unacked}`,
      percentile(result.ackMs, 99),
      'ms',
      { metric: 'p50', value: percentile(result.ackMs, 50), unit: 'ms' },
      '≤ 250 ms',
    ),
    figure(
      `ack latency p99 ${load}, batches sent after the first ${WARM_AFTER_MS / 1000} s`,
      percentile(warm, 99),
      'ms',
      { metric: 'p50', value: percentile(warm, 50), unit: 'ms' },
      '≤ 250 ms',
    ),
    figure(`tap taken → acked p99 ${load} (waits on the terminal included)`, percentile(result.tapMs, 99), 'ms', {
      metric: 'p50',
      value: percentile(result.tapMs, 50),
      unit: 'ms',
    }),
  ];
}
