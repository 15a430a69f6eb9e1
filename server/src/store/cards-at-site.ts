import { type Expression, type QueryCreator, type SqlBool, sql } from 'kysely';
import { prepared } from './engine/prepared.js';
import type { EngineKind, StoreEngine } from './engine/store-engine.js';
import { rows, type Work } from './engine/work.js';
import type { DB } from './schema.js';

/**
 * Who sees a site: its prime first, then its subcontractors, in a fixed order. A card
 * resolves through their books in that order; another tenant's binding never reaches the site.
 */
const readers = (db: QueryCreator<DB>, siteId: string) =>
  db
    .selectFrom('sites')
    .select(['tenant_id', sql.lit(0).as('rank')])
    .where('site_id', '=', siteId)
    .unionAll(
      db
        .selectFrom('site_companies as sc')
        .innerJoin('tenants as t', 't.company_id', 'sc.company_id')
        // A tenant's id is its primary key: never null, whatever SQLite's column type says.
        .select((eb) => [eb.ref('t.tenant_id').$castTo<string>().as('tenant_id'), sql.lit(1).as('rank')])
        .where('sc.site_id', '=', siteId),
    );

/**
 * `column` is one of the ids, given as one value so that the statement is compiled and
 * prepared once, whatever their number: a JSON array on SQLite, a text array on PostgreSQL.
 */
const oneOf = (kind: EngineKind, column: string, ids: unknown): Expression<SqlBool> =>
  kind === 'sqlite'
    ? sql<SqlBool>`${sql.ref(column)} IN (SELECT value FROM json_each(${ids}))`
    : sql<SqlBool>`${sql.ref(column)} = ANY(${ids}::text[])`;

// One round trip for the site's readers and the cards they bind (on PostgreSQL a round trip
// is most of what a statement costs); the bindings come in the readers' order.
const CARDS = prepared((db, p: { siteId: string; tech: string; ids: unknown }, kind) =>
  db
    .with('readers', (db) => readers(db, p.siteId))
    .selectFrom('readers as r')
    .innerJoin('cards as c', 'c.tenant_id', 'r.tenant_id')
    .select(['c.card_id', 'c.worker_id'])
    .where('c.tech', '=', p.tech)
    .where(oneOf(kind, 'c.card_id', p.ids))
    .orderBy('r.rank')
    .orderBy('r.tenant_id'),
);
// A QR code names its worker: the books of the tenants that see the site say whether they know them.
const QR_CODES = prepared((db, p: { siteId: string; ids: unknown }, kind) =>
  db
    .with('readers', (db) => readers(db, p.siteId))
    .selectFrom('readers as r')
    .innerJoin('workers as w', 'w.tenant_id', 'r.tenant_id')
    .select(['w.worker_id as card_id', 'w.worker_id'])
    .where(oneOf(kind, 'w.worker_id', p.ids))
    .orderBy('r.rank')
    .orderBy('r.tenant_id'),
);

/**
 * The worker each of the cards (of one kind) stands for at the site, by card id: bound in
 * the books of a tenant that sees the site, the prime's binding first. A card no such tenant
 * binds is not in the answer.
 */
export function* workersForCards(
  engine: StoreEngine,
  siteId: string,
  tech: string,
  ids: readonly string[],
): Work<Map<string, string>> {
  const given = engine.kind === 'sqlite' ? JSON.stringify(ids) : ids;
  const bound = yield* rows(
    tech === 'qr' ? QR_CODES(engine, { siteId, ids: given }) : CARDS(engine, { siteId, tech, ids: given }),
  );
  const workers = new Map<string, string>();
  for (const row of bound) if (!workers.has(row.card_id)) workers.set(row.card_id, row.worker_id);
  return workers;
}
