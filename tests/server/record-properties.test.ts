import {
  type CardRef,
  parseCardRef,
  parseTerminalId,
  parseWorkerId,
  type Tap,
  type TapFlag,
  type TerminalId,
} from '@ccus-gate/protocol';
import type { ServerStore } from '@ccus-gate/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { staffSite, storeWithSite } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';

const TERMINALS = [parseTerminalId('gate-p1'), parseTerminalId('gate-p2')];
const WORKERS = [
  { workerId: parseWorkerId('10000000000001'), card: parseCardRef('012E4CD3A1B2C3D4') },
  { workerId: parseWorkerId('10000000000002'), card: parseCardRef('04A2B3C4') },
];
const BOOT = '3c9e1a7b-5d2f-4e8a-b6c0-1f3d5a7b9c2e';
const BOOTED_AT = Date.parse('2020-01-01T00:00:00Z');
/** Four days in Tokyo around two day boundaries (04:00), in minutes. */
const START = Date.parse('2026-11-20T00:00:00+09:00');
const SPAN_MINUTES = 4 * 24 * 60;

interface GeneratedTap {
  terminal: number;
  worker: number;
  minute: number;
  direction: 'in' | 'out';
  toggled: boolean;
  correction: boolean;
}

const tapArb = fc.record({
  terminal: fc.integer({ min: 0, max: TERMINALS.length - 1 }),
  worker: fc.integer({ min: 0, max: WORKERS.length - 1 }),
  minute: fc.integer({ min: 0, max: SPAN_MINUTES }),
  direction: fc.constantFrom('in' as const, 'out' as const),
  toggled: fc.boolean(),
  correction: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
});

function openStore(dir: string, file: string): ServerStore {
  const { store, siteId } = storeWithSite(dir, { file, now: () => new Date('2026-11-26T03:00:00Z') });
  staffSite(store, siteId, { terminals: TERMINALS, workers: WORKERS });
  return store;
}

/** Each terminal's taps numbered in time order, cut into batches. */
function batchesOf(taps: GeneratedTap[], cuts: number[]): { terminalId: TerminalId; taps: Tap[] }[] {
  const batches: { terminalId: TerminalId; taps: Tap[] }[] = [];
  TERMINALS.forEach((terminalId, t) => {
    const own = taps.filter((tap) => tap.terminal === t).sort((a, b) => a.minute - b.minute);
    const wire: Tap[] = own.map((tap, i) => {
      const at = START + tap.minute * 60_000 + i; // distinct instants within a terminal
      const flags: TapFlag[] = [];
      if (tap.toggled) flags.push('toggle');
      if (tap.correction) flags.push('reader_correction');
      const worker = WORKERS[tap.worker] as { workerId: (typeof WORKERS)[number]['workerId']; card: CardRef };
      return {
        seq: i + 1,
        card: worker.card,
        workerId: worker.workerId,
        direction: tap.direction,
        at: new Date(at).toISOString(),
        bootId: BOOT,
        mono: at - BOOTED_AT,
        clockSynced: true,
        flags,
      };
    });
    for (let i = 0; i < wire.length; ) {
      const size = Math.max(1, cuts[(i + t) % cuts.length] ?? 1);
      batches.push({ terminalId, taps: wire.slice(i, i + size) });
      i += size;
    }
  });
  return batches;
}

function ingest(store: ServerStore, batches: { terminalId: TerminalId; taps: Tap[] }[]): void {
  for (const batch of batches) {
    const terminal = store.directory.terminal(batch.terminalId);
    if (terminal?.siteId == null || terminal.rule === null) throw new Error('terminal not leased');
    store.taps.storeBatch(
      { ...terminal, siteId: terminal.siteId, rule: terminal.rule },
      {
        v: 1,
        terminalId: batch.terminalId,
        batchId: crypto.randomUUID(),
        sentAt: batch.taps[0]?.at ?? '',
        taps: batch.taps,
      },
    );
    // Sometimes records are built between batches, a little or all of the queue, sometimes only at the end.
    if (batch.taps.length % 2 === 0) store.records.rebuildQueued(10_000);
    else if (batch.taps.length % 3 === 0) store.records.rebuildQueued(1);
  }
  while (store.records.queued() > 0) store.records.rebuildQueued(10_000);
}

function snapshot(store: ServerStore): unknown[] {
  return store.db.raw
    .prepare(
      'SELECT site_id, worker_id, working_day, first_in, last_out, tap_count, flags FROM records ORDER BY worker_id, working_day',
    )
    .all();
}

describe('work records, whatever order the batches come in', () => {
  it('make one record per worker, site and day, entry never after exit, every counted tap in its record, alike in any order', () => {
    const dir = tempDir('record-properties');
    let run = 0;
    try {
      fc.assert(
        fc.property(
          fc.array(tapArb, { minLength: 1, maxLength: 24 }),
          fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 6 }),
          fc.infiniteStream(fc.nat()),
          (taps, cuts, shuffle) => {
            run++;
            const batches = batchesOf(taps, cuts);
            const inOrder = openStore(dir.path, `ordered-${run}.db`);
            const shuffled = openStore(dir.path, `shuffled-${run}.db`);
            try {
              ingest(inOrder, batches);
              const mixed = [...batches];
              const picks = shuffle.take(mixed.length)[Symbol.iterator]();
              for (let i = mixed.length - 1; i > 0; i--) {
                const j = (picks.next().value ?? 0) % (i + 1);
                [mixed[i], mixed[j]] = [mixed[j] as (typeof mixed)[number], mixed[i] as (typeof mixed)[number]];
              }
              ingest(shuffled, mixed);
              const records = snapshot(inOrder) as {
                worker_id: string;
                working_day: string;
                first_in: string | null;
                last_out: string | null;
              }[];
              expect(snapshot(shuffled)).toEqual(records);
              for (const record of records) {
                if (record.first_in !== null && record.last_out !== null) {
                  expect(Date.parse(record.first_in)).toBeLessThanOrEqual(Date.parse(record.last_out));
                }
              }
              const keys = new Set(records.map((r) => `${r.worker_id}/${r.working_day}`));
              const stored = inOrder.db.raw
                .prepare('SELECT worker_id, record_day, effective_direction, flags FROM taps')
                .all() as {
                worker_id: string;
                record_day: string;
                effective_direction: string | null;
                flags: string;
              }[];
              expect(stored).toHaveLength(taps.length);
              for (const tap of stored) {
                // Counted: in its record. Not counted: replaced by a correction on the other reader.
                if (tap.effective_direction !== null) expect(keys.has(`${tap.worker_id}/${tap.record_day}`)).toBe(true);
              }
              const replaced = stored.filter((tap) => tap.effective_direction === null).length;
              const corrections = stored.filter((tap) => tap.flags.includes('reader_correction')).length;
              expect(replaced).toBeLessThanOrEqual(corrections);
            } finally {
              inOrder.close();
              shuffled.close();
            }
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      dir.remove();
    }
  });
});
