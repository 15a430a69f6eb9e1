import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** `npm run release` with another version stamped on it (RELEASE_VERSION); returns the tarball. */
export function buildRelease(out: string, version: string): string {
  const printed = execFileSync(process.execPath, [join(ROOT, 'scripts/release.mjs')], {
    cwd: ROOT,
    env: { ...process.env, RELEASE_DIR: out, RELEASE_VERSION: version },
    encoding: 'utf8',
  });
  return printed.split('\n')[0] as string;
}

/**
 * A copy of a built release whose terminal throws as it starts: what a bad release looks
 * like to a terminal. Its firmware package is unpacked, broken and packed again.
 */
export function breakRelease(tarball: string, out: string): string {
  const work = join(out, 'break');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', work]);
  const [name] = readdirSync(work) as [string];
  const packages = join(work, name, 'packages');
  const tgz = readdirSync(packages).find((file) => file.startsWith('ccus-gate-firmware-')) as string;
  const unpacked = join(work, 'firmware');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', join(packages, tgz), '-C', unpacked]);
  const main = join(unpacked, 'package/dist/cli/main.js');
  const [shebang, ...rest] = readFileSync(main, 'utf8').split('\n');
  writeFileSync(main, [shebang, "throw new Error('this release is broken');", ...rest].join('\n'));
  execFileSync('tar', ['-czf', join(packages, tgz), '-C', unpacked, 'package']);
  rmSync(unpacked, { recursive: true });
  const broken = join(out, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', broken, '-C', work, name]);
  rmSync(work, { recursive: true });
  return broken;
}

/**
 * What install.sh does with a release in `<opt>/releases`, minus building native modules: the
 * production dependencies come from npm's cache, and the modules that need a build (SQLite's)
 * get the ones this checkout built, for this machine's CPU and Node. Also the launcher.
 */
export function installRelease(opt: string, tarball: string, version: string): string {
  const releases = join(opt, 'releases');
  const folder = join(releases, 'versions', version);
  mkdirSync(folder, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', folder, '--strip-components=1']);
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: folder,
    stdio: 'ignore',
  });
  for (const module of ['better-sqlite3']) {
    const built = join(ROOT, 'node_modules', module, 'build');
    if (existsSync(built)) cpSync(built, join(folder, 'node_modules', module, 'build'), { recursive: true });
  }
  rmSync(join(releases, 'current'), { force: true });
  symlinkSync(join('versions', version), join(releases, 'current'));
  for (const file of ['launch', 'launch-check.mjs']) cpSync(join(folder, 'deploy', file), join(opt, file));
  return releases;
}
