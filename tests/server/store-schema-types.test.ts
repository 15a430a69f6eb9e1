import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * The typed queries are checked against server/src/store/schema.ts, generated from the
 * migrations: a migration added without regenerating it (`npm run schema-types -w server`)
 * would let queries compile against tables as they were.
 */
describe('the stores’ row types', () => {
  it('are those of the schema the migrations make', () => {
    const run = () =>
      execFileSync('npx', ['tsx', 'server/scripts/schema-types.ts', '--verify'], { encoding: 'utf8', stdio: 'pipe' });
    expect(run).not.toThrow();
  }, 60_000);
});
