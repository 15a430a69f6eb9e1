import { randomUUID } from 'node:crypto';
import { decodeMessage, parseSiteId, parseTerminalId, type TapBatch } from '@ccus-gate/protocol';
import { isStoreError, type StoreEngine, TapStore } from '@ccus-gate/server';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { StoreEngines } from '../support/store-engines.js';
import { waitForAsync } from '../support/wait.js';

const SITE = parseSiteId('20260000000001');
const GATE = parseTerminalId('gate-a');
const RULE = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };

const batch = (seq: number): TapBatch =>
  decodeMessage(
    'taps',
    JSON.stringify({
      v: 1,
      terminalId: GATE,
      batchId: randomUUID(),
      sentAt: '2026-11-24T03:00:00.000Z',
      taps: [
        {
          seq,
          card: { tech: 'felica', id: '0101010101010101' },
          workerId: null,
          direction: 'in',
          at: '2026-11-24T08:00:00.000+09:00',
          bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
          mono: 1000 + seq,
          clockSynced: true,
          flags: ['unknown_card'],
        },
      ],
    }),
  ) as TapBatch;

/**
 * PostgreSQL going away under a running server: each store call says plainly that the
 * database cannot be reached (so ingest answers that the batch was not stored, and the
 * terminal keeps its taps), the process carries on, and once the database is back the
 * same engine stores again with nothing lost.
 */
describe('a server store when PostgreSQL stops and starts again', () => {
  const engines = new StoreEngines();
  let engine: StoreEngine;
  let taps: TapStore;
  const store = (seq: number) =>
    taps.storeBatch({ terminalId: GATE, tenantId: 'tenant-a', siteId: SITE, rule: RULE, earlier: [] }, batch(seq));

  beforeAll(async () => {
    engine = await engines.open('postgres');
    await engine.transaction(() =>
      tenantWithSite(engine, { tenantId: 'tenant-a', companyId: '90000000000001', siteId: SITE }),
    );
    taps = new TapStore(engine);
  });
  afterAll(() => engines.close());

  it('refuses as unavailable while it is away, and stores again once it is back', async () => {
    expect(await store(1)).toMatchObject({ inserted: 1 });
    engines.cluster.halt();
    for (const seq of [2, 3]) {
      const refused = await Promise.resolve(store(seq)).catch((error: unknown) => error);
      expect(isStoreError(refused), String(refused)).toBe(true);
      expect(refused).toMatchObject({ code: 'unavailable', message: expect.stringContaining('PostgreSQL') });
    }
    expect(await Promise.resolve(taps.count(GATE)).catch((error: unknown) => (error as { code?: string }).code)).toBe(
      'unavailable',
    );
    engines.cluster.resume();
    // The terminal sends what was not acked again.
    expect(await store(2)).toMatchObject({ inserted: 1, rejected: [] });
    expect(await store(3)).toMatchObject({ inserted: 1, rejected: [] });
    expect(await store(1)).toMatchObject({ inserted: 0, rejected: [] });
    expect(await taps.count(GATE)).toBe(3);
  }, 60_000);

  it('refuses a transaction whose connection is cut under it, and the process carries on', async () => {
    const url = new URL(engines.cluster.url);
    const admin = new pg.Client({ connectionString: url.href });
    await admin.connect();
    try {
      // A transaction holding its connection, in the middle of a statement, when the database
      // ends that connection (as it does to every one when it stops).
      const held = Promise.resolve(
        engine.transaction(function* () {
          yield sql`SELECT pg_sleep(30)`.compile(engine.db);
        }),
      ).catch((error: unknown) => error);
      await waitForAsync('the transaction to be running', async () => {
        const { rows } = await admin.query(
          "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' AND state = 'active'",
        );
        return rows.length > 0;
      });
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'");
      expect(await held).toMatchObject({ code: 'unavailable' });
      // The pool makes a new connection: the same engine works on.
      expect(await taps.count(GATE)).toBe(3);
    } finally {
      await admin.end();
    }
  }, 60_000);
});
