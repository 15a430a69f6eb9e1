import { type RawBuilder, sql } from 'kysely';

/** A column's PostgreSQL type, as its array is cast for `unnest`. */
export type PgColumnType = 'text' | 'bigint';

/**
 * Rows for PostgreSQL as `SELECT * FROM unnest($1::text[], $2::bigint[], …)`: one array a
 * column, so the statement's text is the same for any number of rows. It is then parsed and
 * planned once per connection (engine/prepared.ts); a VALUES list is a new statement for each
 * row count, planned again at every run (on a batch's INSERT, as long as the insert itself).
 * `arrays` are the prepared query's values, one per column, in the order of `columns`.
 */
export function unnestRows<C extends string>(
  columns: Readonly<Record<C, PgColumnType>>,
  arrays: Readonly<Record<C, unknown>>,
): RawBuilder<Record<C, unknown>> {
  const casts = (Object.keys(columns) as C[]).map((column) => sql`${arrays[column]}::${sql.raw(columns[column])}[]`);
  return sql`SELECT * FROM unnest(${sql.join(casts)})`;
}

/** The rows' values column by column, as unnestRows takes them. */
export function columnArrays<Row, C extends keyof Row & string>(
  rows: readonly Row[],
  columns: readonly C[],
): Record<C, Row[C][]> {
  const arrays = Object.fromEntries(columns.map((column) => [column, [] as unknown[]])) as Record<C, Row[C][]>;
  for (const row of rows) for (const column of columns) arrays[column].push(row[column]);
  return arrays;
}
