#!/usr/bin/env node
// `npm run release`: the terminal's release tarball and its checksum, in release/ (or $RELEASE_DIR).
//
// It holds what a Pi installs: the compiled protocol, hardware and firmware packages (npm pack:
// dist/, hardware profiles, the systemd unit and example config, READMEs; no sources, no
// tests), a package.json depending on them, and a lock file of the production dependencies
// only. The Pi runs `npm ci --omit=dev` in it, which builds the native modules for its own
// CPU; that is why no node_modules travel in the tarball.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.env.RELEASE_DIR ?? join(root, 'release'));
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const firmware = JSON.parse(readFileSync(join(root, 'firmware', 'package.json'), 'utf8'));
const name = `ccus-gate-terminal-${firmware.version}`;
const stage = join(out, 'stage', name);
const run = (command, args, cwd = root) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

run(join(root, 'node_modules', '.bin', 'tsc'), ['-b']);
rmSync(join(out, 'stage'), { recursive: true, force: true });
mkdirSync(join(stage, 'packages'), { recursive: true });

const dependencies = {};
for (const workspace of ['protocol', 'hardware', 'firmware']) {
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', join(stage, 'packages'), '-w', workspace]),
  );
  for (const entry of packed) dependencies[entry.name] = `file:packages/${entry.filename}`;
}
writeFileSync(
  join(stage, 'package.json'),
  `${JSON.stringify(
    {
      name,
      version: firmware.version,
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
// The lock: exact versions of the production dependencies, resolved once, here.
run('npm', ['install', '--package-lock-only', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], stage);

const tarball = join(out, `${name}.tar.gz`);
run('tar', ['-czf', tarball, '--owner=0', '--group=0', '-C', join(out, 'stage'), name]);
const sum = createHash('sha256').update(readFileSync(tarball)).digest('hex');
writeFileSync(`${tarball}.sha256`, `${sum}  ${name}.tar.gz\n`);
rmSync(join(out, 'stage'), { recursive: true, force: true });
process.stdout.write(`${tarball}\n${sum}\n`);
