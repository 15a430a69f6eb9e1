import { parseSiteId, parseTerminalId } from '@ccus-gate/protocol';
import { CcusOutbox, DirectoryStore, type PostgresEngine, RecordRebuild, TapStore } from '@ccus-gate/server';
import type { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notingEngine } from '../support/noting-engine.js';
import { tenantWithSite } from '../support/store-books.js';
import { StoreEngines } from '../support/store-engines.js';
import { tapBatch } from '../support/tap-batch.js';

const SITE = parseSiteId('20260000000001');
const GATE = parseTerminalId('gate-a');
/** A contractor's books as a fleet holds them: far more workers and cards than one batch names. */
const WORKERS = 20_000;
/** A fleet's terminals, each leased a few times over the years. */
const TERMINALS = 2_000;
const LEASES = 3;
const worker = (n: number) => `1111${String(n).padStart(10, '0')}`;
const card = (n: number) => `0101${String(n).padStart(12, '0')}`;

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; Plans?: PlanNode[] };
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

/**
 * A batch of a hundred taps must cost a hundred index look-ups in the books, not a pass over
 * them: a plan that read the whole cards table (a hash join, chosen from the planner's guesses
 * about small tables) spent 8 ms of a 12 ms tap INSERT on it with 20,000 cards, and grows with
 * every card a fleet binds. So on the hot paths (a terminal's assignment, storing taps,
 * building records, claiming the outbox) no statement may scan a table of the books, as
 * PostgreSQL plans it with their true sizes: a fleet's workers and cards, its terminals and
 * their leases.
 */
describe('PostgreSQL plans on the hot paths', () => {
  const engines = new StoreEngines();
  const seen: CompiledQuery[] = [];
  let engine: PostgresEngine;

  beforeAll(async () => {
    engine = (await engines.open('postgres', () => new Date('2026-11-24T03:00:00.000Z'))) as PostgresEngine;
    await engine.transaction(() =>
      tenantWithSite(engine, { tenantId: 'tenant-a', companyId: '90000000000001', siteId: SITE }),
    );
    await engine.pool.query(
      `INSERT INTO workers (tenant_id, worker_id, name) SELECT 'tenant-a', '1111' || lpad(n::text, 10, '0'), 'w' || n
         FROM generate_series(0, $1::int - 1) AS n`,
      [WORKERS],
    );
    await engine.pool.query(
      `INSERT INTO site_roster (site_id, worker_id, tenant_id) SELECT $1, worker_id, tenant_id FROM workers`,
      [SITE],
    );
    const bind = (from: number, until: number) =>
      engine.pool.query(
        `INSERT INTO cards (tenant_id, tech, card_id, worker_id)
           SELECT 'tenant-a', 'felica', '0101' || lpad(n::text, 12, '0'), '1111' || lpad(n::text, 10, '0')
           FROM generate_series($1::int, $2::int - 1) AS n`,
        [from, until],
      );
    // Cards bound in two goes, the planner told of the first: as in the minute after a big
    // import, before autovacuum has looked again. The small tables (tenants, sites, their
    // subcontractors) it never looks at: fewer than 50 rows changed. The plan must hang on
    // neither.
    await bind(0, WORKERS * 0.4);
    await engine.pool.query('ANALYZE workers, cards, site_roster');
    await bind(WORKERS * 0.4, WORKERS);
    await engine.pool.query(
      `INSERT INTO terminals (terminal_id, tenant_id, site_id, secret_hash, created_at)
         SELECT CASE WHEN n = 0 THEN $1 ELSE 'gate-' || n END, 'tenant-a', $2, 'x', '2024-01-01T00:00:00Z'
         FROM generate_series(0, $3::int - 1) AS n`,
      [GATE, SITE, TERMINALS],
    );
    await engine.pool.query(
      `INSERT INTO terminal_leases (terminal_id, tenant_id, site_id, lease_from, lease_until, created_at)
         SELECT terminal_id, 'tenant-a', $1, (2023 + k) || '-01-01T00:00:00Z', (2023 + k) || '-12-31T00:00:00Z', '2024-01-01T00:00:00Z'
         FROM terminals, generate_series(0, $2::int - 1) AS k`,
      [SITE, LEASES],
    );
    await engine.pool.query('ANALYZE terminals, terminal_leases');
    const noted = notingEngine(engine, seen);
    const terminal = {
      terminalId: GATE,
      tenantId: 'tenant-a',
      siteId: SITE,
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
      earlier: [],
    };
    const taps = Array.from({ length: 100 }, (_, i) => ({
      seq: i + 1,
      card: { tech: 'felica' as const, id: card(i * 97) },
      workerId: worker(i * 97),
      at: `2026-11-24T08:${String(Math.floor(i / 2)).padStart(2, '0')}:0${i % 2}.000+09:00`,
    }));
    const assigned = await new DirectoryStore(noted).terminal(GATE);
    expect(assigned?.earlier).toHaveLength(LEASES);
    await new TapStore(noted).storeBatch(terminal, tapBatch(GATE, taps));
    // Sent again after a lost ack, to another server: it goes in keeping the stored taps.
    await new TapStore(noted).storeBatch(terminal, tapBatch(GATE, taps));
    const outbox = new CcusOutbox(noted);
    await new RecordRebuild(noted, outbox.steps).rebuildQueued();
    await outbox.claimDue(10, 'server-a', 60_000);
  });
  afterAll(() => engines.close());

  it('stores the batch under the workers its cards name', async () => {
    const stored = await engine.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM taps WHERE worker_id = '1111' || lpad(((seq - 1) * 97)::text, 10, '0')`,
    );
    expect(Number(stored.rows[0]?.n)).toBe(100);
  });

  it('inserts a batch thought new without a conflict check, and one sent again keeping the stored taps', () => {
    const inserts = seen.filter((query) => /insert into "taps"/i.test(query.sql)).map((query) => query.sql);
    expect(inserts.map((text) => /on conflict \("terminal_id", "seq"\)/i.test(text))).toEqual([false, false, true]);
  });

  it('reads the books by index, never a whole table of them', async () => {
    const books = ['workers', 'cards', 'site_roster', 'terminals', 'terminal_leases'];
    let planned = 0;
    for (const query of seen) {
      if (!/^\s*(with|select|insert|update|delete)/i.test(query.sql)) continue;
      const explained = await engine.pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) ${query.sql}`,
        query.parameters as unknown[],
      );
      const plan = explained.rows[0]?.['QUERY PLAN'][0].Plan as PlanNode;
      planned++;
      const scans = nodes(plan).filter(
        (node) => node['Node Type'] === 'Seq Scan' && books.includes(node['Relation Name'] ?? ''),
      );
      expect(
        scans.map((node) => node['Relation Name']),
        `${query.sql}\nscans a whole table of the books`,
      ).toEqual([]);
    }
    // The paths above ran: the terminal's assignment, the tap INSERT, the rebuild's reads and writes, the outbox's claim.
    expect(planned).toBeGreaterThanOrEqual(10);
  });
});
