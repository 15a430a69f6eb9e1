import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { migratePostgres, ServerStore } from '@ccus-gate/server';
import pg from 'pg';

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

/**
 * Tap `seq` of a raw primitive's load: both primitives insert exactly these rows, so their
 * figures compare the engines, not the data.
 */
export function rawTap(seq: number): {
  card: string;
  worker: string;
  direction: string;
  at: string;
  atMs: number;
  day: string;
} {
  const w = (seq * 7) % 1000;
  const at = new Date(Date.parse('2026-10-01T00:00:00Z') + seq * 1000);
  const iso = at.toISOString();
  return {
    card: `04${w.toString(16).toUpperCase().padStart(6, '0')}`,
    worker: String(10_000_000_000_001 + w),
    direction: seq % 2 ? 'in' : 'out',
    at: iso,
    atMs: at.getTime(),
    day: iso.slice(0, 10),
  };
}

/**
 * The same rows as rawServerInsertRate, into the server's taps table on PostgreSQL through
 * `pg`: one multi-row INSERT per batch, each batch its own transaction, as the ingest would.
 */
export async function rawPostgresInsertRate(
  url: string,
  count: number,
  batchSize: number,
  terminals = 1,
): Promise<number> {
  await migratePostgres(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = 18;
    const rows = Array.from(
      { length: batchSize },
      (_, r) => `(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(', ')})`,
    ).join(', ');
    const text = `INSERT INTO taps (terminal_id, seq, site_id, tech, card_id, terminal_worker_id, worker_id, direction, at,
       at_ms, working_day, record_day, effective_direction, boot_id, mono, clock_synced, flags, received_at) VALUES ${rows}`;
    const started = performance.now();
    for (let done = 0, t = 0; done < count; done += batchSize, t++) {
      const terminal = `gate-load-${String(t % terminals).padStart(3, '0')}`;
      const from = Math.floor(t / terminals) * batchSize + 1;
      const receivedAt = new Date().toISOString();
      const values: unknown[] = [];
      for (let seq = from; seq < from + batchSize; seq++) {
        const { card, worker, direction, at, atMs, day } = rawTap(seq);
        values.push(terminal, seq, '11', 'mifare', card, worker, worker);
        values.push(direction, at, atMs, day, day, direction);
        values.push('7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13', seq, 1, '[]', receivedAt);
      }
      await client.query('BEGIN');
      await client.query({ text, values, name: `raw-${batchSize}` });
      await client.query('COMMIT');
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
  }
}

/**
 * The floor under ingest: the same rows the server stores, into the server's own taps table
 * (its schema, indexes and pragmas, by its migrations), `batchSize` to a transaction, with no
 * parsing, validation, MQTT or acks.
 */
export function rawServerInsertRate(dir: string, count: number, batchSize: number, terminals = 1): number {
  const path = join(dir, 'raw-server.db');
  const store = ServerStore.open(path);
  // The same columns the server writes for a tap (store/tap-store.ts storeBatch), the
  // derived ones included: a row without at_ms costs less in the timeline index.
  const insert = store.db.raw.prepare(
    `INSERT INTO taps (terminal_id, seq, site_id, tech, card_id, terminal_worker_id, worker_id, direction, at, at_ms,
       working_day, record_day, effective_direction, boot_id, mono, clock_synced, flags, received_at)
     VALUES (?, ?, '11', 'mifare', ?, ?, ?, ?, ?, ?, ?, ?, ?, '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13', ?, 1, '[]', ?)`,
  );
  const batch = store.db.raw.transaction((terminal: string, from: number) => {
    const receivedAt = new Date().toISOString();
    for (let seq = from; seq < from + batchSize; seq++) {
      const { card, worker, direction, at, atMs, day } = rawTap(seq);
      insert.run(terminal, seq, card, worker, worker, direction, at, atMs, day, day, direction, seq, receivedAt);
    }
  });
  const started = performance.now();
  for (let done = 0, t = 0; done < count; done += batchSize, t++) {
    batch(`gate-load-${String(t % terminals).padStart(3, '0')}`, Math.floor(t / terminals) * batchSize + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  store.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  return count / seconds;
}
