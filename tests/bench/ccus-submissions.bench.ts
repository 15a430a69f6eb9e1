import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCardRef, parseTerminalId, parseWorkerId, type Tap, type TerminalId } from '@ccus-gate/protocol';
import { CcusSimulator, HttpCcusGateway, listenHttp, submissionOf } from '@ccus-gate/server';
import { staffSite, storeWithSite } from '../support/server-fixture.js';
import { type Benchmark, figure } from './harness.js';

const WORKERS = 300;
const TERMINALS = [parseTerminalId('gate-east'), parseTerminalId('gate-west')];
const DAY = '2026-11-24';
const BOOT = '6f1d3b5a-7c9e-4a2b-8d0f-1e3c5a7b9d2f';
const BOOTED_AT = Date.parse('2026-11-20T00:00:00Z');

/** A seeded generator, so every run taps the same day. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface DayTap {
  atMs: number;
  terminal: number;
  worker: number;
  direction: 'in' | 'out';
}

/**
 * An ordinary day at a site of 300 workers and two toggle terminals: everyone enters between
 * 07:30 and 08:00, one in ten taps twice (the other gate, a minute later), a third go out and
 * back at lunch, one in twenty forgets to tap out, the rest leave between 17:00 and 17:45.
 */
function ordinaryDay(): DayTap[] {
  const next = random(20261124);
  const at = (time: string, spreadMinutes: number): number =>
    Date.parse(`${DAY}T${time}:00+09:00`) + Math.floor(next() * spreadMinutes * 60_000);
  const taps: DayTap[] = [];
  for (let worker = 0; worker < WORKERS; worker++) {
    const gate = (): number => Math.floor(next() * TERMINALS.length);
    const entry = at('07:30', 30);
    taps.push({ atMs: entry, terminal: gate(), worker, direction: 'in' });
    if (next() < 0.1) taps.push({ atMs: entry + 60_000, terminal: gate(), worker, direction: 'in' });
    if (next() < 0.33) {
      const out = at('12:00', 10);
      taps.push({ atMs: out, terminal: gate(), worker, direction: 'out' });
      taps.push({ atMs: out + 40 * 60_000, terminal: gate(), worker, direction: 'in' });
    }
    if (next() >= 0.05) taps.push({ atMs: at('17:00', 45), terminal: gate(), worker, direction: 'out' });
  }
  return taps.sort((a, b) => a.atMs - b.atMs);
}

/**
 * How many submissions CCUS gets per work record over an ordinary day, the day replayed minute by
 * minute on a clock of its own: each minute's taps stored as their terminals send them, records
 * built, and the outbox drained through the HTTP gateway to the CCUS simulator.
 */
export const benchmark: Benchmark = {
  name: 'ccus-submissions',
  description:
    'CCUS submissions per work record over an ordinary day (300 workers, two toggle gates, lunch breaks, double taps, forgotten exits), next to taps per record',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-ccus-'));
    const clock = { ms: Date.parse(`${DAY}T07:00:00+09:00`) };
    const { store, siteId } = storeWithSite(dir, { now: () => new Date(clock.ms) });
    const workers = Array.from({ length: WORKERS }, (_, w) => ({
      workerId: parseWorkerId(String(10_000_000_000_001 + w)),
      card: parseCardRef(`04${w.toString(16).toUpperCase().padStart(6, '0')}`),
    }));
    staffSite(store, siteId, { terminals: TERMINALS, workers });
    const simulator = new CcusSimulator({ now: () => new Date(clock.ms) });
    simulator.setRoster(
      siteId,
      workers.map((w) => ({ workerId: w.workerId, trades: ['とび'] })),
    );

    const day = ordinaryDay();
    const seqs = new Map<TerminalId, number>();
    // The forwarder's own path to CCUS: its submission, the HTTP gateway, the simulator over HTTP.
    const ccus = await listenHttp(simulator.app, { host: '127.0.0.1', port: 0 });
    const gateway = new HttpCcusGateway(ccus.url);
    const drain = async (): Promise<void> => {
      for (
        let items = store.outbox.claimDue(100, 'bench', 60_000);
        items.length > 0;
        items = store.outbox.claimDue(100, 'bench', 60_000)
      ) {
        for (const item of items) {
          try {
            store.outbox.markAccepted(item, (await gateway.submit(submissionOf(item))).receipt, 'bench');
          } catch (error) {
            store.outbox.markRefused(item, (error as Error).message, 'bench');
          }
        }
      }
    };
    const started = performance.now();
    const end = Date.parse(`${DAY}T20:00:00+09:00`);
    let next = 0;
    for (; clock.ms <= end; clock.ms += 60_000) {
      const due: DayTap[] = [];
      while (next < day.length && (day[next] as DayTap).atMs <= clock.ms) due.push(day[next++] as DayTap);
      for (const [t, terminalId] of TERMINALS.entries()) {
        const taps: Tap[] = due
          .filter((tap) => tap.terminal === t)
          .map((tap) => {
            const seq = (seqs.get(terminalId) ?? 0) + 1;
            seqs.set(terminalId, seq);
            const worker = workers[tap.worker] as (typeof workers)[number];
            return {
              seq,
              card: worker.card,
              workerId: worker.workerId,
              direction: tap.direction,
              at: new Date(tap.atMs).toISOString(),
              bootId: BOOT,
              mono: tap.atMs - BOOTED_AT,
              clockSynced: true,
              flags: ['toggle'],
            };
          });
        if (taps.length === 0) continue;
        const terminal = store.directory.terminal(terminalId);
        if (terminal?.siteId == null || terminal.rule === null) throw new Error('terminal not leased');
        store.taps.storeBatch(
          { ...terminal, siteId: terminal.siteId, rule: terminal.rule },
          { v: 1, terminalId, batchId: randomUUID(), sentAt: taps[0]?.at ?? '', taps },
        );
      }
      while (store.records.queued() > 0) store.records.rebuildQueued(1000);
      await drain();
    }
    // Past the last coalescing window: every change has gone.
    clock.ms += 60 * 60_000;
    await drain();
    const seconds = (performance.now() - started) / 1000;
    const records = simulator.records.size;
    const submissions = simulator.requests;
    const held = (
      store.db.raw.prepare(`SELECT count(*) AS n FROM ccus_outbox WHERE state <> 'accepted'`).get() as {
        n: number;
      }
    ).n;
    await ccus.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
    const tapsPerRecord = { metric: 'taps per record', value: day.length / records, unit: 'taps' };
    return [
      figure('CCUS submissions per record', submissions / records, 'submissions', tapsPerRecord, '≤ 3 submissions'),
      figure(
        'records not accepted at the end of the day',
        held,
        'records',
        { metric: 'records', value: records, unit: 'records' },
        '0',
      ),
      figure('day replayed', seconds, 's', { metric: 'taps', value: day.length, unit: 'taps' }),
    ];
  },
};
