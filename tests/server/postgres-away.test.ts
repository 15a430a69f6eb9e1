import { createServer, type Server } from 'node:net';
import { parseSiteId, parseTerminalId, type TapBatch } from '@ccus-gate/protocol';
import { isStoreError, migratePostgres, PostgresEngine, rows, type StoreEngine, TapStore } from '@ccus-gate/server';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantWithSite } from '../support/store-books.js';
import { StoreEngines } from '../support/store-engines.js';
import { tapBatch } from '../support/tap-batch.js';
import { waitForAsync } from '../support/wait.js';

const SITE = parseSiteId('20260000000001');
const GATE = parseTerminalId('gate-a');
const RULE = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };

const batch = (seq: number): TapBatch =>
  tapBatch(GATE, [
    {
      seq,
      card: { tech: 'felica', id: '0101010101010101' },
      at: '2026-11-24T08:00:00.000+09:00',
      mono: 1000 + seq,
      flags: ['unknown_card'],
    },
  ]);

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

/** A PostgreSQL backend's message: type byte, then its length (itself included) and body. */
const message = (type: string, body: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (value: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value);
  return bytes;
};
const fields = (pairs: Record<string, string>): Buffer =>
  Buffer.concat([
    ...Object.entries(pairs).map(([key, value]) => Buffer.from(`${key}${value}\0`, 'utf8')),
    Buffer.of(0),
  ]);

/**
 * A database stopping just as a connection is made: the backend finishes the start-up
 * (AuthenticationOk, ReadyForQuery) and, in the same packet, is told to end (FATAL 57P01).
 * The pool hands the connection out between the two, with no listener of its own on it;
 * unheard, that error ended the server (CI, the failover test with the database stopped).
 */
describe('a connection the database ends as it is handed out', () => {
  let server: Server;
  let engine: PostgresEngine;
  let url: string;

  beforeAll(async () => {
    server = createServer((socket) => {
      // The start-up message (no SSL asked: the URL says none) is answered at once, in one write.
      socket.once('data', () => {
        socket.end(
          Buffer.concat([
            message('R', int32(0)),
            message('Z', Buffer.from('I')),
            message(
              'E',
              fields({
                S: 'FATAL',
                V: 'FATAL',
                C: '57P01',
                M: 'terminating connection due to administrator command',
              }),
            ),
          ]),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    url = `postgres://ccus@127.0.0.1:${port}/gate?sslmode=disable`;
    engine = new PostgresEngine({ url });
  });
  afterAll(async () => {
    await engine.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses the transaction as unavailable, and the process carries on', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await Promise.resolve(
        engine.transaction(function* () {
          yield sql`SELECT 1`.compile(engine.db);
        }),
      ).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'unavailable' });
      const alone = await Promise.resolve(engine.run(rows(sql`SELECT 1`.compile(engine.db)))).catch(
        (error: unknown) => error,
      );
      expect(alone).toMatchObject({ code: 'unavailable' });
    }
  });

  it('fails a migration with the reason, and the process carries on', async () => {
    await expect(migratePostgres(url)).rejects.toThrow(/not queryable|terminat/);
  });
});
