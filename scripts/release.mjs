#!/usr/bin/env node
// `npm run release`: the terminal's release tarball and its checksum, in release/ (or $RELEASE_DIR).
//
// It holds what a Pi installs: the compiled protocol, hardware and firmware packages (npm pack:
// dist/, hardware profiles, the systemd unit and example config, READMEs; no sources, no
// tests), a package.json depending on them, and a lock file of the production dependencies
// only. The Pi runs `npm ci --omit=dev` in it, which builds the native modules for its own
// CPU; that is why no node_modules travel in the tarball. release.json says which version it
// is and the terminal store schema it reads up to (an update's rollback checks it).
//
// RELEASE_VERSION=0.2.0-rc.1 stamps another version on the firmware package and the release
// (a test build, a canary) without changing the repository.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.env.RELEASE_DIR ?? join(root, 'release'));
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const firmware = JSON.parse(readFileSync(join(root, 'firmware', 'package.json'), 'utf8'));
const version = process.env.RELEASE_VERSION ?? firmware.version;
if (!/^\d{1,4}\.\d{1,4}\.\d{1,4}(-[0-9A-Za-z.-]{1,32})?$/.test(version)) {
  throw new Error(`RELEASE_VERSION must be a version such as 0.2.0, not ${version}`);
}
const name = `ccus-gate-terminal-${version}`;
const stage = join(out, 'stage', name);
const run = (command, args, cwd = root) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

/** Re-packs the firmware's package with another version in its package.json; returns the new file name. */
function restamp(filename, stamped) {
  const unpacked = join(out, 'stage', 'restamp');
  rmSync(unpacked, { recursive: true, force: true });
  mkdirSync(unpacked, { recursive: true });
  run('tar', ['-xzf', join(stage, 'packages', filename), '-C', unpacked]);
  const manifest = join(unpacked, 'package', 'package.json');
  writeFileSync(
    manifest,
    `${JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), version: stamped }, null, 2)}\n`,
  );
  const renamed = filename.replace(firmware.version, stamped);
  rmSync(join(stage, 'packages', filename));
  run('tar', ['-czf', join(stage, 'packages', renamed), '--owner=0', '--group=0', '-C', unpacked, 'package']);
  rmSync(unpacked, { recursive: true, force: true });
  return renamed;
}

run(join(root, 'node_modules', '.bin', 'tsc'), ['-b']);
rmSync(join(out, 'stage'), { recursive: true, force: true });
mkdirSync(join(stage, 'packages'), { recursive: true });

const dependencies = {};
for (const workspace of ['protocol', 'hardware', 'firmware']) {
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', join(stage, 'packages'), '-w', workspace]),
  );
  for (const entry of packed) {
    let filename = entry.filename;
    if (workspace === 'firmware' && version !== firmware.version) filename = restamp(filename, version);
    dependencies[entry.name] = `file:packages/${filename}`;
  }
}
writeFileSync(
  join(stage, 'package.json'),
  `${JSON.stringify(
    {
      name,
      version,
      private: true,
      description: 'CCUS Gate terminal release: run `npm ci --omit=dev` here, then the systemd unit from deploy/',
      type: 'module',
      engines: firmware.engines,
      dependencies,
      overrides: rootPackage.overrides,
      allowScripts: rootPackage.allowScripts,
    },
    null,
    2,
  )}\n`,
);
cpSync(join(root, 'firmware', 'deploy'), join(stage, 'deploy'), { recursive: true });
const { MIGRATIONS } = await import(join(root, 'firmware', 'dist', 'store', 'migrations.js'));
writeFileSync(join(stage, 'release.json'), `${JSON.stringify({ version, storeSchema: MIGRATIONS.length }, null, 2)}\n`);
// The lock: exact versions of the production dependencies, resolved once, here.
run('npm', ['install', '--package-lock-only', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], stage);

const tarball = join(out, `${name}.tar.gz`);
run('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', join(out, 'stage'), name]);
const sum = createHash('sha256').update(readFileSync(tarball)).digest('hex');
writeFileSync(`${tarball}.sha256`, `${sum}  ${name}.tar.gz\n`);
rmSync(join(out, 'stage'), { recursive: true, force: true });
process.stdout.write(`${tarball}\n${sum}\n`);
