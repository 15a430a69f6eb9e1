/**
 * Writes src/store/schema.ts, the tables' row types the typed queries are checked against,
 * with kysely-codegen from a SQLite database migrated to this server's schema. Run it after
 * adding a migration: `npm run schema-types -w server`. With `--verify` it only checks that
 * the file is up to date (tests/server/store-schema-types.test.ts runs that).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteDb } from '../src/store/sqlite-db.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'src', 'store', 'schema.ts');
const dir = mkdtempSync(join(tmpdir(), 'ccus-gate-schema-'));
try {
  const file = join(dir, 'schema.db');
  SqliteDb.open(file).close();
  const verify = process.argv.includes('--verify') ? ['--verify'] : [];
  execFileSync(
    join(here, '..', '..', 'node_modules', '.bin', 'kysely-codegen'),
    ['--dialect', 'sqlite', '--url', file, '--out-file', out, '--camel-case=false', '--log-level', 'warn', ...verify],
    { stdio: 'inherit' },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
