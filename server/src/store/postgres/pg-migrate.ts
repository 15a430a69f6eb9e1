import pg from 'pg';
import { LEASES_BY_TERMINAL, OPERATOR_SESSIONS } from '../migrations.js';
import { BASELINE_VERSION, PG_BASELINE } from './pg-baseline.js';

/** Later migrations on PostgreSQL, after the baseline, each SQLite's of the same number. Each is one transaction. */
const PG_MIGRATIONS: readonly string[] = [
  // 18 and 19, as SQLite's
  OPERATOR_SESSIONS,
  LEASES_BY_TERMINAL,
];
const KNOWN = BASELINE_VERSION + PG_MIGRATIONS.length;
/** One server migrates at a time; the others wait, then find nothing to do. */
const MIGRATION_LOCK = 0x6363_7573; // "ccus"

/** Is this `database` setting a PostgreSQL URL (rather than a SQLite file)? */
export const isPostgresUrl = (database: string): boolean => /^postgres(ql)?:\/\//.test(database);

/**
 * Brings a PostgreSQL database's schema up to this server's version: the baseline on an empty
 * database, then each later migration, every step in its own transaction under an advisory
 * lock, so several servers starting at once migrate once. Refuses a database newer than this
 * server knows. Returns the schema version before and after.
 */
export async function migratePostgres(url: string): Promise<{ from: number; to: number }> {
  const client = new pg.Client({ connectionString: url, application_name: 'ccus-gate-server migrate' });
  // A connection the database ends is reported as the next query's failure; the event itself,
  // unheard, would end the process instead of the migration.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const read = async (): Promise<number> =>
      (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0]?.version ?? 0;
    const from = await read();
    if (from > KNOWN) {
      throw new Error(`the database's schema ${from} is newer than this server knows (${KNOWN}); update the server`);
    }
    if (from !== 0 && from < BASELINE_VERSION) {
      throw new Error(`the database's schema ${from} is older than the PostgreSQL baseline ${BASELINE_VERSION}`);
    }
    const steps = from === 0 ? [PG_BASELINE, ...PG_MIGRATIONS] : PG_MIGRATIONS.slice(from - BASELINE_VERSION);
    let version = from === 0 ? BASELINE_VERSION - 1 : from;
    for (const step of steps) {
      version++;
      await client.query('BEGIN');
      try {
        await client.query(step);
        await client.query('DELETE FROM schema_version');
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (error) {
        // On a lost connection the rollback fails too; the step's own error is the one to tell.
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    return { from, to: await read() };
  } finally {
    await client.end();
  }
}
