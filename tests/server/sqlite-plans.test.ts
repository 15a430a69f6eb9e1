import { parseSiteId, parseTerminalId, type TapBatch } from '@ccus-gate/protocol';
import {
  AlertSubscriptionStore,
  CcusOutbox,
  execute,
  RecordRebuild,
  type SqliteEngine,
  TapStore,
} from '@ccus-gate/server';
import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notingEngine } from '../support/noting-engine.js';
import { tenantWithSite } from '../support/store-books.js';
import { StoreEngines } from '../support/store-engines.js';
import { tapBatch } from '../support/tap-batch.js';

const SITE = parseSiteId('20260000000001');
const GATE = parseTerminalId('gate-a');
const WORKER = '11110000000001';
const CARD = { tech: 'felica' as const, id: '0101010101010101' };

const batch = (seq: number, clockSynced: boolean): TapBatch =>
  tapBatch(GATE, [
    {
      seq,
      card: CARD,
      workerId: WORKER,
      direction: seq % 2 === 1 ? 'in' : 'out',
      at: `2026-11-24T0${seq}:00:00.000+09:00`,
      clockSynced,
    },
  ]);

/**
 * SQLite compiles a statement again at every run when a bound value decides whether a
 * partial index applies (it marks the statement expired whenever that value is bound, even
 * to the same value): on the ingest path that cost five times the statement's run. So on the
 * hot paths (storing taps, building records, claiming the outbox, alerts due) every partial
 * index a statement uses must be chosen from its SQL alone: with every value unknown (NULL),
 * the plan must still use it.
 */
describe('SQLite plans on the hot paths', () => {
  const engines = new StoreEngines();
  const seen: CompiledQuery[] = [];
  let engine: SqliteEngine;

  beforeAll(async () => {
    engine = (await engines.open('sqlite', () => new Date('2026-11-24T03:00:00.000Z'))) as SqliteEngine;
    await engine.transaction(function* () {
      const { db } = engine;
      yield* tenantWithSite(engine, { tenantId: 'tenant-a', companyId: '90000000000001', siteId: SITE });
      yield* execute(db.insertInto('workers').values({ worker_id: WORKER, tenant_id: 'tenant-a', name: '技能者' }));
      yield* execute(
        db.insertInto('cards').values({ tech: CARD.tech, card_id: CARD.id, tenant_id: 'tenant-a', worker_id: WORKER }),
      );
    });
    const noted = notingEngine(engine, seen);
    const taps = new TapStore(noted);
    const outbox = new CcusOutbox(noted);
    const terminal = {
      terminalId: GATE,
      tenantId: 'tenant-a',
      siteId: SITE,
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
      earlier: [],
    };
    // An unsynchronised tap, then a synchronised one of the same boot: the second corrects the first.
    await taps.storeBatch(terminal, batch(1, false));
    await taps.storeBatch(terminal, batch(2, true));
    await new RecordRebuild(noted, outbox.steps).rebuildQueued();
    await outbox.claimDue(10, 'server-a', 60_000);
    await new AlertSubscriptionStore(noted).due(10);
  });
  afterAll(() => engines.close());

  it('chooses every partial index from the SQL, never from a bound value', () => {
    const raw = engine.sqlite.raw;
    const partial = (
      raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '%WHERE%'").all() as {
        name: string;
      }[]
    ).map((index) => index.name);
    const plan = (query: CompiledQuery, values: readonly unknown[]): string =>
      (raw.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...values) as { detail: string }[])
        .map((row) => row.detail)
        .join(' | ');
    const bindable = (value: unknown) => (typeof value === 'boolean' ? Number(value) : value);
    let checked = 0;
    for (const query of seen) {
      const known = plan(query, query.parameters.map(bindable));
      const unknown = plan(
        query,
        query.parameters.map(() => null),
      );
      for (const index of partial.filter((name) => known.includes(name))) {
        checked++;
        expect(unknown, `${query.sql}\nuses ${index} only for the values bound`).toContain(index);
      }
    }
    // The paths above did reach partial indexes (taps_unsynced, taps_timeline, the outbox's and alerts' due).
    expect(checked).toBeGreaterThanOrEqual(3);
  });
});
