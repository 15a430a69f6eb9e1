import { type EngineKind, execute, type StoreEngine, workersForCards } from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';

const SITE = '20260000000001';
const PRIME = { tenantId: 'prime', companyId: '90000000000001' };
const SUB = { tenantId: 'sub', companyId: '90000000000002' };
const OUTSIDER = { tenantId: 'outsider', companyId: '90000000000003' };

/**
 * A prime's site with one subcontractor, and a tenant with no part in it, each with a worker
 * of their own; the cards are bound as each test says.
 */
function* books(engine: StoreEngine) {
  const { db } = engine;
  yield* tenantWithSite(engine, { ...PRIME, siteId: SITE });
  yield* tenantWithSite(engine, SUB);
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

  const resolve = async (tech: string, ids: string[]) =>
    Object.fromEntries(await engine.run(workersForCards(engine, SITE, tech, ids)));

  it("takes the prime's binding first, a subcontractor's next, and never an outsider's", async () => {
    await engine.transaction(function* () {
      // The same card in the prime's and the subcontractor's books: the prime's counts at its site.
      yield* bind(engine, 'sub', '0A000001', '11110000000002');
      yield* bind(engine, 'prime', '0A000001', '11110000000001');
      yield* bind(engine, 'sub', '0A000002', '11110000000002');
      yield* bind(engine, 'outsider', '0A000003', '11110000000003');
    });
    expect(await resolve('mifare', ['0A000001', '0A000002', '0A000003', '0A000004'])).toEqual({
      '0A000001': '11110000000001',
      '0A000002': '11110000000002',
    });
    // Another kind of card with the same id is another card.
    expect(await resolve('felica', ['0A000001'])).toEqual({});
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
});
