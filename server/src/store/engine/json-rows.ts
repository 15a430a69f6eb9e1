import { type RawBuilder, sql } from 'kysely';
import type { DB } from '../schema.js';

/**
 * Rows for PostgreSQL as one JSON array, read back into the table's own row type:
 * `SELECT cols FROM json_populate_recordset(NULL::table, $1::json)`. The statement's text is
 * the same for any number of rows, so it is parsed and planned once per connection
 * (engine/prepared.ts), where a VALUES list is a new statement at every row count. One JSON
 * text is also what costs the server least to send: JSON.stringify is native, where pg
 * escapes a text array's elements one by one in JavaScript. `json` is the prepared query's
 * value, given as JSON.stringify(rows), each row keyed by column name.
 */
export function jsonRows(table: keyof DB & string, columns: readonly string[], json: unknown): RawBuilder<unknown> {
  const selected = sql.join(columns.map((column) => sql.ref(column)));
  return sql`SELECT ${selected} FROM json_populate_recordset(NULL::${sql.table(table)}, ${json}::json)`;
}
