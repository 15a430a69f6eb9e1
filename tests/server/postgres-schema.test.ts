import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS, ServerStore } from '@ccus-gate/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgres } from '../support/postgres.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, SERVER_CLI } from '../support/terminal-process.js';

/** Each table's columns, with whether they may be null, as one sorted list of lines. */
type Shape = string[];

function sqliteShape(path: string): Shape {
  const store = ServerStore.open(path);
  try {
    const tables = store.db.raw
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'")
      .pluck()
      .all() as string[];
    return tables
      .flatMap((table) =>
        (
          store.db.raw.prepare(`PRAGMA table_info(${table})`).all() as { name: string; notnull: number; pk: number }[]
        ).map((c) => `${table}.${c.name} ${c.notnull === 1 || c.pk > 0 ? 'not null' : 'null'}`),
      )
      .sort();
  } finally {
    store.close();
  }
}

async function postgresShape(url: string): Promise<Shape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> 'schema_version'`,
    );
    return rows.map((r) => `${r.table_name}.${r.column_name} ${r.is_nullable === 'NO' ? 'not null' : 'null'}`).sort();
  } finally {
    await client.end();
  }
}

/**
 * The server's schema on PostgreSQL, on a cluster of the test's own: `ccus-gate-server migrate`
 * on a postgres:// URL makes it once however many servers start together, it has SQLite's
 * tables and columns, and a database newer than the server is refused.
 */
describe('the schema on PostgreSQL', () => {
  const dir = tempDir('postgres-schema');
  let cluster: PostgresCluster;

  const config = (database: string, name = 'server.json'): string => {
    const file = join(dir.path, name);
    writeFileSync(file, JSON.stringify({ database, broker: { mode: 'embedded', host: '127.0.0.1', port: 0 } }));
    return file;
  };
  const migrate = (file: string, env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [SERVER_CLI, 'migrate', '--config', file], {
        env: { ...process.env, ...env },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stderr.on('data', (chunk) => {
        err += chunk;
      });
      child.on('exit', (code) => resolve({ code, out, err }));
    });

  beforeAll(async () => {
    buildOnce();
    cluster = await startPostgres();
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    dir.remove();
  });

  it('is made once by servers migrating at the same moment, with the tables and columns SQLite has', async () => {
    // A password in the URL (this cluster trusts loopback and ignores it) is never printed.
    const url = cluster.database('ccus_schema').replace('postgres@', 'postgres:s3cret-pw@');
    const file = config(url);
    const runs = await Promise.all([migrate(file), migrate(file), migrate(file)]);
    for (const run of runs) expect(run.code, run.err).toBe(0);
    const outputs = runs.map((run) => run.out.trim()).sort();
    // The same schema version as SQLite's: a SQLite migration without its PostgreSQL one fails here.
    const version = MIGRATIONS.length;
    expect(outputs.filter((out) => out.includes(`migrated from schema 0 to ${version}`))).toHaveLength(1);
    expect(outputs.filter((out) => out.includes(`is up to date (schema ${version})`))).toHaveLength(2);
    expect(outputs.join('\n')).not.toContain('s3cret-pw');

    expect(await postgresShape(url)).toEqual(sqliteShape(join(dir.path, 'compare.db')));
  });

  it('takes the URL from CCUS_GATE_DATABASE_URL instead of the file, and leaves no SQLite file', async () => {
    const url = cluster.database('ccus_env');
    const sqlite = join(dir.path, 'never.db');
    const run = await migrate(config(sqlite, 'env.json'), { CCUS_GATE_DATABASE_URL: url });
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain('127.0.0.1');
    expect(existsSync(sqlite)).toBe(false);
  });

  it('makes an operator token on PostgreSQL, which the database then knows', async () => {
    const url = cluster.database('ccus_token');
    const made = spawnSync(process.execPath, [SERVER_CLI, 'operator-token', '--config', config(url, 'token.json')], {
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT role, tenant_id FROM api_tokens WHERE role = 'operator'");
    await client.end();
    expect(rows).toEqual([{ role: 'operator', tenant_id: null }]);
    expect(made.stdout.trim()).toMatch(/^ccg_/);
  });

  it('refuses a database newer than the server, to migrate and to serve alike', async () => {
    const url = cluster.database('ccus_newer');
    const file = config(url, 'newer.json');
    expect((await migrate(file)).code).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('UPDATE schema_version SET version = 99');
    await client.end();
    const refused = await migrate(file);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('schema 99 is newer than this server knows');

    const serve = spawnSync(process.execPath, [SERVER_CLI, 'serve', '--config', file], { encoding: 'utf8' });
    expect(serve.status).not.toBe(0);
    expect(serve.stderr).toContain('schema 99 is newer than this server knows');
  });
});
