import { parseSiteId, parseTerminalId, type SiteId } from '@ccus-gate/protocol';
import {
  type BatchTerminal,
  cardAtSite,
  type EngineKind,
  execute,
  rows,
  type StoreEngine,
  TapStore,
  workersForCards,
} from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tapBatch } from '../support/tap-batch.js';

const SITE = parseSiteId('20260000000001');
/** The subcontractor's own site, where it is the prime and the other prime has no part. */
const SUB_SITE = parseSiteId('20260000000002');
const PRIME = { tenantId: 'prime', companyId: '90000000000001' };
const SUB = { tenantId: 'sub', companyId: '90000000000002' };
const OUTSIDER = { tenantId: 'outsider', companyId: '90000000000003' };

/**
 * A prime's site with one subcontractor (which has a site of its own), and a tenant with no
 * part in it, each with a worker of their own; the cards are bound as each test says.
 */
function* books(engine: StoreEngine) {
  const { db } = engine;
  yield* tenantWithSite(engine, { ...PRIME, siteId: SITE });
  yield* tenantWithSite(engine, { ...SUB, siteId: SUB_SITE });
  yield* tenantWithSite(engine, OUTSIDER);
  yield* execute(
    db.insertInto('site_companies').values({
      site_id: SITE,
      company_id: SUB.companyId,
      name: '下請',
      parent_company_id: PRIME.companyId,
      tier: 1,
    }),
  );
  for (const [tenantId, workerId] of [
    ['prime', '11110000000001'],
    ['sub', '11110000000002'],
    ['outsider', '11110000000003'],
  ] as const) {
    yield* execute(db.insertInto('workers').values({ worker_id: workerId, tenant_id: tenantId, name: workerId }));
  }
}

function* bind(engine: StoreEngine, tenantId: string, cardId: string, workerId: string) {
  yield* execute(
    engine.db.insertInto('cards').values({ tech: 'mifare', card_id: cardId, tenant_id: tenantId, worker_id: workerId }),
  );
}

/**
 * 0A000001 in the prime's and the subcontractor's books (the prime's counts at the prime's
 * site), 0A000002 in the subcontractor's only, 0A000003 in the outsider's only.
 */
function* bindings(engine: StoreEngine) {
  yield* bind(engine, 'sub', '0A000001', '11110000000002');
  yield* bind(engine, 'prime', '0A000001', '11110000000001');
  yield* bind(engine, 'sub', '0A000002', '11110000000002');
  yield* bind(engine, 'outsider', '0A000003', '11110000000003');
}

/**
 * The worker a card stands for at a site: bound in the books of a tenant that sees the site,
 * the prime's first, then its subcontractors'; never through a tenant with no part in it.
 */
describe.each(ENGINES)('cards at a site on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let engine: StoreEngine;

  beforeEach(async () => {
    engine = await engines.open(kind);
    await engine.transaction(() => books(engine));
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  /** The workers the cards of one kind stand for at a site, by card id. */
  const resolve = async (tech: string, ids: string[], siteId: string = SITE) => {
    const cards = ids.map((id) => ({ site_id: siteId, tech, card_id: id }));
    const workers = await engine.run(workersForCards(engine, cards));
    return Object.fromEntries(
      ids.flatMap((id) => {
        const worker = workers.get(cardAtSite(siteId, tech, id));
        return worker === undefined ? [] : [[id, worker]];
      }),
    );
  };

  it("takes the prime's binding first, a subcontractor's next, and never an outsider's", async () => {
    await engine.transaction(() => bindings(engine));
    expect(await resolve('mifare', ['0A000001', '0A000002', '0A000003', '0A000004'])).toEqual({
      '0A000001': '11110000000001',
      '0A000002': '11110000000002',
    });
    // Another kind of card with the same id is another card.
    expect(await resolve('felica', ['0A000001'])).toEqual({});
    // At the subcontractor's own site the prime has no part: its binding does not count there.
    expect(await resolve('mifare', ['0A000001', '0A000003'], SUB_SITE)).toEqual({ '0A000001': '11110000000002' });
  });

  it('reads a QR code as its worker, known only in the books of a tenant that sees the site', async () => {
    expect(await resolve('qr', ['11110000000001', '11110000000002', '11110000000003'])).toEqual({
      '11110000000001': '11110000000001',
      '11110000000002': '11110000000002',
    });
  });

  it('looks up none, one or many cards in one statement, ids with quotes and commas taken as they are', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `0B${String(i).padStart(6, '0')}`);
    await engine.transaction(function* () {
      for (const id of ids.filter((_, i) => i % 2 === 0)) yield* bind(engine, 'prime', id, '11110000000001');
      yield* bind(engine, 'prime', `0C'"],{}`, '11110000000001');
    });
    expect(await resolve('mifare', [])).toEqual({});
    expect(Object.keys(await resolve('mifare', ids))).toHaveLength(250);
    const awkward = `0C'"],{}`;
    expect(await resolve('mifare', [awkward, '0C'])).toEqual({ [awkward]: '11110000000001' });
  });

  it('stores each tap under the worker its card stands for at the site of its lease, else the terminal one', async () => {
    await engine.transaction(() => bindings(engine));
    const gate = parseTerminalId('gate-1');
    const rule = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };
    const moved = Date.parse('2026-11-24T00:00:00.000Z');
    // Leased to the subcontractor's site until the morning, to the prime's site since.
    const terminal: BatchTerminal = {
      terminalId: gate,
      tenantId: PRIME.tenantId,
      siteId: SITE,
      rule,
      earlier: [{ siteId: SUB_SITE, rule, fromMs: moved - 86_400_000, untilMs: moved }],
    };
    const tap = (seq: number, tech: 'mifare' | 'qr', id: string, at: string, workerId: string | null = null) => ({
      seq,
      card: { tech, id },
      at,
      workerId,
    });
    const morning = '2026-11-24T00:30:00.000Z';
    const before = '2026-11-23T22:00:00.000Z';
    const batch = tapBatch(gate, [
      tap(1, 'mifare', '0A000001', morning),
      tap(2, 'mifare', '0A000002', morning),
      // Bound only by a tenant with no part in the site: the terminal's own answer stands.
      tap(3, 'mifare', '0A000003', morning, '11110000000001'),
      tap(4, 'mifare', '0A000004', morning),
      tap(5, 'qr', '11110000000002', morning),
      tap(6, 'qr', '11110000000003', morning),
      // Taken under the earlier lease: the subcontractor's site, where its own binding counts.
      tap(7, 'mifare', '0A000001', before),
    ]);
    const answer = await new TapStore(engine).storeBatch(terminal, batch);
    expect(answer.inserted).toBe(7);
    const stored = await engine.run(
      rows(engine.db.selectFrom('taps').select(['seq', 'site_id', 'worker_id']).orderBy('seq')),
    );
    const at = (siteId: SiteId, worker_id: string | null) => ({ site_id: siteId, worker_id });
    expect(stored.map(({ seq, ...row }) => [Number(seq), row])).toEqual([
      [1, at(SITE, '11110000000001')],
      [2, at(SITE, '11110000000002')],
      [3, at(SITE, '11110000000001')],
      [4, at(SITE, null)],
      [5, at(SITE, '11110000000002')],
      [6, at(SITE, null)],
      [7, at(SUB_SITE, '11110000000002')],
    ]);
    // The records touched are those of the workers the taps were stored under.
    expect(answer.records.map((r) => `${r.siteId} ${r.workerId}`).sort()).toEqual([
      `${SITE} 11110000000001`,
      `${SITE} 11110000000002`,
      `${SUB_SITE} 11110000000002`,
    ]);
  });
});
