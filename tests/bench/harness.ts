import { join } from 'node:path';
import Database from 'better-sqlite3';

/** One figure a benchmark reports, next to the raw cost of the primitive beneath it. */
export interface BenchFigure {
  metric: string;
  value: number;
  unit: string;
  baseline: { metric: string; value: number; unit: string };
  /** value / baseline.value: the number that holds on a noisy machine. */
  ratio: number;
  /** What the ratio should stay under (or over), when the project has a target. */
  target?: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchFigure[]>;
}

export function figure(
  metric: string,
  value: number,
  unit: string,
  baseline: BenchFigure['baseline'],
  target?: string,
): BenchFigure {
  return { metric, value, unit, baseline, ratio: value / baseline.value, ...(target ? { target } : {}) };
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Raw batched inserts: rows shaped like the server's taps, `batchSize` to a transaction, as the server commits them. */
export function rawBatchedInsertRate(dir: string, count: number, batchSize: number): number {
  const db = new Database(join(dir, 'raw-batched.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE taps (terminal_id TEXT NOT NULL, seq INTEGER NOT NULL, card_id TEXT, worker_id TEXT,
    direction TEXT, at TEXT, working_day TEXT, boot_id TEXT, mono INTEGER, flags TEXT, PRIMARY KEY (terminal_id, seq))`);
  const insert = db.prepare('INSERT INTO taps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((from: number) => {
    for (let seq = from; seq < from + batchSize; seq++) {
      insert.run(
        'gate-test-01',
        seq,
        '04000001',
        '10000000000001',
        'in',
        '2026-11-24T00:00:00.000Z',
        '2026-11-24',
        '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
        seq,
        '[]',
      );
    }
  });
  const started = performance.now();
  for (let from = 1; from <= count; from += batchSize) batch(from);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return count / seconds;
}
