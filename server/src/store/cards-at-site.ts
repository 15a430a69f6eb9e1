import { type QueryCreator, sql } from 'kysely';
import { prepared } from './engine/prepared.js';
import type { EngineKind, StoreEngine } from './engine/store-engine.js';
import { rows, type Work } from './engine/work.js';
import type { DB } from './schema.js';

/** A card as taps name it: the site it was read at, its kind and its id (a QR code's id is its worker). */
export interface NamedCard {
  site_id: string;
  tech: string;
  card_id: string;
}

/** Where a statement holds its named cards, as the CTE `named`. */
type WithNamed = DB & { named: NamedCard };

/**
 * Who sees each named site: its prime first (rank 0), then its subcontractors (rank 1), in a
 * fixed order. A card resolves through their books in that order; another tenant's binding
 * never reaches the site.
 */
const readers = (db: QueryCreator<WithNamed>) =>
  db
    .selectFrom('sites')
    .select(['site_id', 'tenant_id', sql.lit(0).as('rank')])
    .where('site_id', 'in', db.selectFrom('named').select('site_id'))
    .unionAll(
      db
        .selectFrom('site_companies as sc')
        .innerJoin('tenants as t', 't.company_id', 'sc.company_id')
        // A tenant's id is its primary key: never null, whatever SQLite's column type says.
        .select((eb) => ['sc.site_id', eb.ref('t.tenant_id').$castTo<string>().as('tenant_id'), sql.lit(1).as('rank')])
        .where('sc.site_id', 'in', db.selectFrom('named').select('site_id')),
    );

/**
 * Each card of the CTE `named` with the worker of the first binding a reader of its site has
 * (a card in the books; a QR code: its worker in the books), or null when none has. The caller's
 * statement holds `named`; this is the rule both engines run, alone (workersForCards) or
 * inside PostgreSQL's tap INSERT (tap-insert.ts).
 *
 * Each card is looked up on its own (a subquery per card, by the books' keys, in the books of
 * the site's few readers): joined to the books instead, PostgreSQL chose from its estimates of
 * the small tables (which autovacuum never analyses) to read the whole cards table for every
 * batch (postgres-plans.test.ts).
 */
export function boundCards<D extends WithNamed>(creator: QueryCreator<D>) {
  // Written against the tables it reads, whatever else the caller's statement holds.
  const db = creator as unknown as QueryCreator<WithNamed>;
  return (
    db
      // Worked out once, not again inside each card's look-up.
      .with((cte) => cte('r').materialized(), readers)
      .selectFrom('named as n')
      .select((eb) => [
        'n.site_id',
        'n.tech',
        'n.card_id',
        eb
          .selectFrom('r')
          .leftJoin('cards as c', (join) =>
            join
              .on('n.tech', '<>', sql.lit('qr'))
              .onRef('c.tenant_id', '=', 'r.tenant_id')
              .onRef('c.tech', '=', 'n.tech')
              .onRef('c.card_id', '=', 'n.card_id'),
          )
          .leftJoin('workers as w', (join) =>
            join
              .on('n.tech', '=', sql.lit('qr'))
              .onRef('w.tenant_id', '=', 'r.tenant_id')
              .onRef('w.worker_id', '=', 'n.card_id'),
          )
          .select((eb) => eb.fn.coalesce('c.worker_id', 'w.worker_id').as('worker_id'))
          .whereRef('r.site_id', '=', 'n.site_id')
          .where((eb) => eb.or([eb('c.worker_id', 'is not', null), eb('w.worker_id', 'is not', null)]))
          .orderBy('r.rank')
          .orderBy('r.tenant_id')
          .limit(sql.lit(1))
          .$castTo<string | null>()
          .as('worker_id'),
      ])
  );
}

/**
 * The named cards from one JSON array of {site_id, tech, card_id}, as a CTE's body (in
 * brackets: Kysely adds none around raw SQL): one statement text for any number.
 */
const namedFromJson = (kind: EngineKind, json: unknown) =>
  kind === 'sqlite'
    ? sql<NamedCard>`(SELECT DISTINCT json_extract(value, '$.site_id') AS site_id, json_extract(value, '$.tech') AS tech,
        json_extract(value, '$.card_id') AS card_id FROM json_each(${json}))`
    : sql<NamedCard>`(SELECT DISTINCT site_id, tech, card_id
        FROM json_to_recordset(${json}::json) AS x(site_id text, tech text, card_id text))`;

const CARDS = prepared((db, p: { cards: string }, kind) =>
  db
    .with('named(site_id, tech, card_id)', () => namedFromJson(kind, p.cards))
    .with('bound', (db) => boundCards(db))
    .selectFrom('bound')
    .selectAll(),
);

/** The key of a card at a site in workersForCards' answer. */
export const cardAtSite = (siteId: string, tech: string, cardId: string): string =>
  `${siteId}\u0000${tech}\u0000${cardId}`;

/**
 * The worker each card stands for at the site it names, keyed by cardAtSite, in one
 * statement whatever their number: bound in the books of a tenant that sees the site, the
 * prime's binding first. A card no such tenant binds is not in the answer.
 */
export function* workersForCards(engine: StoreEngine, cards: readonly NamedCard[]): Work<Map<string, string>> {
  const workers = new Map<string, string>();
  if (cards.length === 0) return workers;
  for (const row of yield* rows(CARDS(engine, { cards: JSON.stringify(cards) }))) {
    if (row.worker_id !== null) workers.set(cardAtSite(row.site_id, row.tech, row.card_id), row.worker_id);
  }
  return workers;
}
