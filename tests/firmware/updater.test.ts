import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { releaseLayout, Updater } from '@ccus-gate/firmware';
import { releaseSigningText, type UpdateOffer } from '@ccus-gate/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/**
 * The terminal's updater on a releases folder of its own and a real HTTP server: a server
 * out of reach is tried again later, a bad signature never, and an installed release gets
 * the running one's modules with its own packages over them.
 */
describe('the terminal updater', () => {
  const dir = tempDir('updater');
  let server: Server;
  let answers: number[];
  let requests: number;
  let tarball: Buffer;
  let key: { privateKey: KeyObject; publicKey: KeyObject };

  const lock = { packages: { '': { name: 'release' }, 'node_modules/left-pad': { version: '1.3.0' } } };
  /** A release folder as npm ci leaves it: a third-party module and our firmware package. */
  const running = (root: string): void => {
    const folder = join(root, 'versions', '1.0.0');
    mkdirSync(join(folder, 'node_modules', 'left-pad'), { recursive: true });
    mkdirSync(join(folder, 'node_modules', '@ccus-gate', 'firmware'), { recursive: true });
    writeFileSync(join(folder, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
    writeFileSync(
      join(folder, 'node_modules', '@ccus-gate', 'firmware', 'package.json'),
      JSON.stringify({ name: '@ccus-gate/firmware', version: '1.0.0' }),
    );
    writeFileSync(join(folder, 'package-lock.json'), JSON.stringify(lock));
    symlinkSync('versions/1.0.0', join(root, 'current'));
  };
  /** Release 1.1.0 as `npm run release` packs it: release.json, the lock, our packages as tarballs. */
  const build = (): Buffer => {
    const stage = join(dir.path, 'stage', 'ccus-gate-terminal-1.1.0');
    const pkg = join(dir.path, 'stage', 'firmware', 'package');
    mkdirSync(join(stage, 'packages'), { recursive: true });
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@ccus-gate/firmware', version: '1.1.0' }));
    execFileSync('tar', [
      '-czf',
      join(stage, 'packages', 'ccus-gate-firmware-1.1.0.tgz'),
      '-C',
      join(pkg, '..'),
      'package',
    ]);
    writeFileSync(join(stage, 'release.json'), JSON.stringify({ version: '1.1.0', storeSchema: 4 }));
    writeFileSync(join(stage, 'package-lock.json'), JSON.stringify(lock));
    const file = join(dir.path, 'release.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', join(dir.path, 'stage'), 'ccus-gate-terminal-1.1.0']);
    return readFileSync(file);
  };
  const offer = (signer = key.privateKey): UpdateOffer => {
    const release = {
      version: '1.1.0',
      sha256: createHash('sha256').update(tarball).digest('hex'),
      size: tarball.length,
    };
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/updates/1.1.0.tar.gz`;
    return { ...release, url, signature: sign(null, releaseSigningText(release), signer).toString('base64') };
  };
  const updater = (root: string, restarts: string[], freeBytes?: (path: string) => number) =>
    new Updater({
      ...(freeBytes === undefined ? {} : { freeBytes }),
      layout: releaseLayout(root),
      running: '1.0.0',
      releaseKey: key.publicKey,
      download: { username: 'gate-1', password: 'the terminal password' },
      quietMs: 0,
      confirmMs: 60_000,
      retryMs: 300,
      lastTapAt: () => null,
      restart: () => restarts.push('restart'),
      changed: () => {},
      now: () => new Date(),
      log: pino({ level: 'silent' }),
    });

  beforeEach(async () => {
    key = generateKeyPairSync('ed25519');
    tarball = build();
    answers = [];
    requests = 0;
    server = createServer((request, response) => {
      requests++;
      const expected = `Basic ${Buffer.from('gate-1:the terminal password').toString('base64')}`;
      const status = request.headers.authorization === expected ? (answers.shift() ?? 200) : 401;
      response.writeHead(status).end(status === 200 ? tarball : undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  });

  it('tries again later when the server is out of reach, then installs and restarts into the release', async () => {
    const root = join(dir.path, 'releases');
    running(root);
    const restarts: string[] = [];
    const u = updater(root, restarts);
    answers = [503];
    u.offer(offer());
    await waitFor('the first try to fail', () => u.report()?.state === 'failed');
    expect(u.report()?.detail).toMatch(/answered 503 .*; trying again at/);
    // The same offer again, before the retry is due, starts nothing new.
    u.offer(offer());
    await waitFor('the retry to restart into the release', () => restarts.length === 1, 10_000);
    u.stop();
    expect(requests).toBe(2);
    expect(readlinkSync(join(root, 'current'))).toBe('versions/1.1.0');
    expect(u.report()).toMatchObject({ version: '1.1.0', state: 'restarting' });
    const installed = join(root, 'versions', '1.1.0', 'node_modules');
    expect(JSON.parse(readFileSync(join(installed, '@ccus-gate', 'firmware', 'package.json'), 'utf8')).version).toBe(
      '1.1.0',
    );
    expect(readFileSync(join(installed, 'left-pad', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
    // The running release is untouched.
    const old = join(root, 'versions', '1.0.0', 'node_modules', '@ccus-gate', 'firmware', 'package.json');
    expect(JSON.parse(readFileSync(old, 'utf8')).version).toBe('1.0.0');
  });

  it('never downloads a release the operator did not sign, and does not try it again', async () => {
    const root = join(dir.path, 'releases');
    running(root);
    const restarts: string[] = [];
    const u = updater(root, restarts);
    u.offer(offer(generateKeyPairSync('ed25519').privateKey));
    await waitFor('the offer to be refused', () => u.report()?.state === 'failed');
    expect(u.report()?.detail).toContain("not signed by the operator's key");
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the retry delay
    u.offer(offer(generateKeyPairSync('ed25519').privateKey));
    u.stop();
    expect(requests).toBe(0);
    expect(restarts).toEqual([]);
    expect(readlinkSync(join(root, 'current'))).toBe('versions/1.0.0');
  });

  it('leaves the disk to the taps: no download without room for the release and a long outage', async () => {
    const root = join(dir.path, 'releases');
    running(root);
    const u = updater(root, [], () => 100 * 1024 * 1024);
    u.offer(offer());
    await waitFor('the refusal', () => u.report()?.state === 'failed');
    u.stop();
    expect(u.report()?.detail).toMatch(
      /not enough room on the disk: 104857600 bytes free, \d+ needed \(taps come first\); trying again at/,
    );
    expect(requests).toBe(0);
  });

  it('tries a release rolled back for not coming online again once its time comes, and not before', async () => {
    const root = join(dir.path, 'releases');
    running(root);
    const rolledBack = (retryAt: Date) =>
      writeFileSync(
        join(root, 'update.json'),
        JSON.stringify({
          state: 'rolled_back',
          version: '1.1.0',
          from: '1.0.0',
          detail: 'release 1.1.0 did not come online in time: back to 1.0.0',
          at: new Date().toISOString(),
          retryAt: retryAt.toISOString(),
        }),
      );
    rolledBack(new Date(Date.now() + 3_600_000));
    const restarts: string[] = [];
    const waiting = updater(root, restarts);
    waiting.offer(offer());
    waiting.stop();
    expect(requests).toBe(0);
    rolledBack(new Date(Date.now() - 1000));
    const again = updater(root, restarts);
    again.offer(offer());
    await waitFor('the release to be tried again', () => restarts.length === 1, 10_000);
    again.stop();
    expect(requests).toBe(1);
  });

  it('keeps only the confirmed release and the one it came from', () => {
    const root = join(dir.path, 'releases');
    for (const version of ['0.8.0', '0.9.0', '1.0.0', '1.1.0.partial']) {
      mkdirSync(join(root, 'versions', version), { recursive: true });
    }
    symlinkSync('versions/1.0.0', join(root, 'current'));
    writeFileSync(
      join(root, 'update.json'),
      JSON.stringify({ state: 'pending', version: '1.0.0', from: '0.9.0', detail: '', at: new Date().toISOString() }),
    );
    const u = updater(root, []);
    u.confirm();
    expect(u.report()).toMatchObject({ version: '1.0.0', state: 'confirmed' });
    expect(readdirSync(join(root, 'versions')).sort()).toEqual(['0.9.0', '1.0.0']);
  });

  it('refuses to update a terminal that does not run from a releases folder, saying how', async () => {
    const u = new Updater({
      layout: null,
      running: '1.0.0',
      releaseKey: key.publicKey,
      download: { username: 'gate-1', password: 'x' },
      quietMs: 0,
      confirmMs: 60_000,
      lastTapAt: () => null,
      restart: () => {},
      changed: () => {},
      now: () => new Date(),
      log: pino({ level: 'silent' }),
    });
    u.offer(offer());
    await waitFor('the refusal', () => u.report()?.state === 'failed');
    expect(u.report()?.detail).toContain('install.sh');
    expect(requests).toBe(0);
  });
});
