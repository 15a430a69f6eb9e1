import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type CardRef, parseCardRef, parseWorkerId, type WorkerId } from '@ccus-gate/protocol';

const LOAD = new URL('./terminal-load.mjs', import.meta.url).pathname;

/** Runs the simulated terminals (terminal-load.mjs) in their own process with this plan; resolves with what they print. */
export async function runLoad<T>(plan: unknown): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [LOAD, JSON.stringify(plan)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

/** The load's w-th worker: a 14-digit ID and a MIFARE card of their own. */
export const loadWorker = (w: number): { workerId: WorkerId; card: CardRef } => ({
  workerId: parseWorkerId(String(10_000_000_000_001 + w)),
  card: parseCardRef(`04${w.toString(16).toUpperCase().padStart(6, '0')}`),
});
