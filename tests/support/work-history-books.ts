import { parseSiteId, parseTerminalId, type TapBatch, type TapFlag, type WorkingDayRule } from '@ccus-gate/protocol';
import { execute, type StoreEngine, type TapStore } from '@ccus-gate/server';
import { tenantWithSite } from './store-books.js';
import { tapBatch } from './tap-batch.js';

/** One site with a gate of two terminals, and one worker with a card: what the work-history suites tap. */
export const SITE = parseSiteId('20260000000001');
export const RULE: WorkingDayRule = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };
export const GATE_IN = parseTerminalId('gate-in');
export const GATE_OUT = parseTerminalId('gate-out');
export const WORKER = '11110000000001';
export const CARD = { tech: 'felica' as const, id: '0101010101010101' };

/** The books a tap needs: a prime with its site, a worker with a card, and a place on the roster. */
export function* workHistoryBooks(engine: StoreEngine) {
  const { db } = engine;
  yield* tenantWithSite(engine, { tenantId: 'tenant-a', companyId: '90000000000001', siteId: SITE });
  yield* execute(
    db
      .insertInto('workers')
      .values({ worker_id: WORKER, tenant_id: 'tenant-a', name: '技能者', trades: '["とび","鉄筋"]' }),
  );
  yield* execute(
    db.insertInto('cards').values({ tech: CARD.tech, card_id: CARD.id, tenant_id: 'tenant-a', worker_id: WORKER }),
  );
  yield* execute(
    db
      .insertInto('site_roster')
      .values({ site_id: SITE, worker_id: WORKER, tenant_id: 'tenant-a', trade: 'とび', position: 'foreman' }),
  );
}

export interface TapSpec {
  seq: number;
  direction: 'in' | 'out';
  at: string;
  clockSynced?: boolean;
  mono?: number;
  flags?: TapFlag[];
}

/** The worker's taps as one batch from the terminal. */
const batchOf = (terminalId: typeof GATE_IN, taps: TapSpec[]): TapBatch =>
  tapBatch(
    terminalId,
    taps.map((tap) => ({ ...tap, card: CARD, workerId: WORKER })),
  );

/** Stores the taps as a batch from the terminal (leased to the site), by the server whose tap store is `by`. */
export const storeTaps = (by: TapStore, terminalId: typeof GATE_IN, specs: TapSpec[]) =>
  by.storeBatch(
    { terminalId, tenantId: 'tenant-a', siteId: SITE, rule: RULE, earlier: [] },
    batchOf(terminalId, specs),
  );
