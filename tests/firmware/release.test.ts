import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** `npm run release`: a tarball a Pi can install, compiled and production-only, with its checksum. */
describe('the terminal release', () => {
  const dir = tempDir('release');
  afterAll(() => dir.remove());

  it('holds the compiled packages, the unit and a production-only lock, and installs to a working CLI', () => {
    const printed = execFileSync(process.execPath, [join(ROOT, 'scripts/release.mjs')], {
      cwd: ROOT,
      env: { ...process.env, RELEASE_DIR: dir.path },
      encoding: 'utf8',
    });
    const [tarball, sum] = printed.trim().split('\n') as [string, string];
    expect(tarball).toBe(join(dir.path, 'ccus-gate-terminal-0.1.0.tar.gz'));
    expect(createHash('sha256').update(readFileSync(tarball)).digest('hex')).toBe(sum);
    expect(readFileSync(`${tarball}.sha256`, 'utf8')).toBe(`${sum}  ccus-gate-terminal-0.1.0.tar.gz\n`);
    // The checksum file is what a technician checks with.
    execFileSync('sha256sum', ['-c', `${tarball}.sha256`], { cwd: dir.path });

    execFileSync('tar', ['-xzf', tarball, '-C', dir.path]);
    const release = join(dir.path, 'ccus-gate-terminal-0.1.0');
    const list = (tgz: string) => execFileSync('tar', ['-tzf', join(release, 'packages', tgz)], { encoding: 'utf8' });
    const firmware = list('ccus-gate-firmware-0.1.0.tgz');
    expect(firmware).toContain('package/dist/cli/main.js');
    expect(firmware).toContain('package/deploy/ccus-gate-terminal.service');
    expect(list('ccus-gate-hardware-0.1.0.tgz')).toContain('package/profiles/pi-pn532-uart.json');
    for (const tgz of [
      'ccus-gate-firmware-0.1.0.tgz',
      'ccus-gate-hardware-0.1.0.tgz',
      'ccus-gate-protocol-0.1.0.tgz',
    ]) {
      expect(
        list(tgz)
          .split('\n')
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      ).toEqual([]);
    }
    const lock = readFileSync(join(release, 'package-lock.json'), 'utf8');
    for (const dev of [
      'node_modules/vitest',
      'node_modules/typescript',
      'node_modules/@biomejs/biome',
      'node_modules/tsx',
    ]) {
      expect(lock).not.toContain(`"${dev}"`);
    }

    // What the Pi does, minus building native modules for its CPU.
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: release,
      stdio: 'ignore',
    });
    const help = execFileSync(join(release, 'node_modules/.bin/ccus-gate-terminal'), ['--help'], { encoding: 'utf8' });
    expect(help).toContain('usage: ccus-gate-terminal');
    expect(help).toContain('provision');
  }, 180_000);
});
