import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHECK = join(ROOT, 'firmware/deploy/launch-check.mjs');

/**
 * The launcher's rollback check (firmware/deploy/launch-check.mjs), on a releases folder as
 * install.sh and the updater leave it: when it goes back, when it waits, and when it must not
 * go back because the new release moved the store past what the old one reads.
 */
describe('the launcher after an update', () => {
  const dir = tempDir('launch-check');
  let releases: string;
  let config: string;

  const release = (version: string, storeSchema: number): void => {
    const folder = join(releases, 'versions', version);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'release.json'), JSON.stringify({ version, storeSchema }));
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: `release-${version}`, private: true }));
    // The release's own modules: SQLite, to read the store's schema version.
    symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules'));
  };
  const store = (schema: number): void => {
    const db = new Database(join(dir.path, 'terminal.db'));
    db.pragma(`user_version = ${schema}`);
    db.close();
  };
  const pending = (deadline: Date, attempts = 0): void =>
    writeFileSync(
      join(releases, 'update.json'),
      JSON.stringify({
        state: 'pending',
        version: '1.1.0',
        from: '1.0.0',
        detail: 'restarting into 1.1.0',
        at: new Date().toISOString(),
        deadline: deadline.toISOString(),
        attempts,
      }),
    );
  const check = () => spawnSync(process.execPath, [CHECK, releases, 'run', '--config', config], { encoding: 'utf8' });
  const record = () => JSON.parse(readFileSync(join(releases, 'update.json'), 'utf8')) as Record<string, unknown>;
  const current = () => readlinkSync(join(releases, 'current'));

  beforeEach(() => {
    releases = join(dir.path, 'releases');
    release('1.0.0', 4);
    release('1.1.0', 5);
    symlinkSync('versions/1.1.0', join(releases, 'current'));
    config = join(dir.path, 'terminal.json');
    writeFileSync(config, JSON.stringify({ terminalId: 'gate-1', store: { path: 'terminal.db' } }));
  });
  afterEach(() => dir.remove());

  it('lets a new release start while it has time and attempts left, counting each', () => {
    pending(new Date(Date.now() + 60_000));
    expect(check().status).toBe(0);
    expect(check().stderr).toContain('attempt 2 of 3');
    expect(record()).toMatchObject({ state: 'pending', attempts: 2 });
    expect(current()).toBe('versions/1.1.0');
  });

  it('goes back when the new release has not come online by its deadline', () => {
    store(4);
    pending(new Date(Date.now() - 1000));
    const result = check();
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/did not come online by .*: back to 1\.0\.0/);
    expect(current()).toBe('versions/1.0.0');
    expect(record()).toMatchObject({ state: 'rolled_back', version: '1.1.0', from: '1.0.0' });
    // Not coming online may have been the network's doing: the release is tried again hours later.
    expect(Date.parse(record().retryAt as string)).toBeGreaterThan(Date.now() + 5 * 3_600_000);
  });

  it('goes back after three failed starts, before the deadline', () => {
    store(4);
    pending(new Date(Date.now() + 60_000), 3);
    expect(check().stderr).toContain('failed to start 3 times: back to 1.0.0');
    expect(current()).toBe('versions/1.0.0');
    // A release that crashes is not tried again.
    expect(record().retryAt).toBeUndefined();
  });

  it('stays on a release that migrated the store past what the old one reads, and says so', () => {
    store(5);
    pending(new Date(Date.now() - 1000));
    const result = check();
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('migrated the store to schema 5 and 1.0.0 reads only up to 4: staying on 1.1.0');
    expect(current()).toBe('versions/1.1.0');
    expect(record()).toMatchObject({ state: 'rollback_refused' });
  });

  it('does not blame a release that never ran: a restart cut short before the switch is tried again', () => {
    store(4);
    rmSync(join(releases, 'current'));
    symlinkSync('versions/1.0.0', join(releases, 'current'));
    pending(new Date(Date.now() - 1000), 3);
    expect(check().stderr).toContain('the restart into 1.1.0 was cut short before it; trying again');
    expect(current()).toBe('versions/1.0.0');
    expect(record()).toMatchObject({ state: 'failed', version: '1.1.0' });
    expect(Date.parse(record().retryAt as string)).toBeLessThanOrEqual(Date.now());
  });

  it('does nothing when no update is under way', () => {
    expect(check().status).toBe(0);
    writeFileSync(
      join(releases, 'update.json'),
      JSON.stringify({ state: 'confirmed', version: '1.1.0', from: '1.0.0' }),
    );
    expect(check().stderr).toBe('');
    expect(current()).toBe('versions/1.1.0');
  });
});
