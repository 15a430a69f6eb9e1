import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeReleaseKey, signRelease, type UpdatesSetup } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Publishing terminal releases and rolling them out, through the API: what the server
 * checks before it keeps a release, whom a rollout offers it to, and who may download it.
 */
describe('releases and rollouts', () => {
  const dir = tempDir('release-publishing');
  let f: ApiFixture;
  let key: string;
  let setup: UpdatesSetup;

  /** A tarball shaped like `npm run release`'s, as far as the server looks (its release.json). */
  const tarball = (version: string, filler = ''): string => {
    const stage = join(dir.path, 'stage', `${version}${filler}`, `ccus-gate-terminal-${version}`);
    mkdirSync(stage, { recursive: true });
    writeFileSync(join(stage, 'release.json'), JSON.stringify({ version, storeSchema: 4 }));
    writeFileSync(join(stage, 'filler'), filler);
    const file = join(dir.path, `${version}${filler}.tar.gz`);
    execFileSync('tar', ['-czf', file, '-C', join(stage, '..'), `ccus-gate-terminal-${version}`]);
    return file;
  };
  const put = (file: string, claimed: { version: string; sha256: string; signature: string }, token?: string) =>
    f.app.request(
      `/api/v1/fleet/releases/${claimed.version}?sha256=${claimed.sha256}&signature=${encodeURIComponent(claimed.signature)}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${token ?? f.operator}`, 'content-type': 'application/gzip' },
        body: readFileSync(file),
      },
    );
  const problem = async (response: Response) => ({ status: response.status, ...((await response.json()) as object) });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  beforeEach(() => {
    const made = makeReleaseKey(join(dir.path, 'operator'));
    key = made.privateFile;
    const publicKeyPem = readFileSync(made.publicFile, 'utf8');
    setup = {
      publicKey: createPublicKey(publicKeyPem),
      publicKeyPem,
      dir: join(dir.path, 'kept'),
      publicUrl: 'https://updates.example.jp',
    };
    f = apiFixture(dir.path, { updates: setup });
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  it('keeps a release only when its SHA-256, the operator’s signature and its release.json agree', async () => {
    const file = tarball('1.2.0');
    const signed = signRelease(file, key);
    expect(await problem(await put(file, { ...signed, sha256: 'a'.repeat(64) }))).toMatchObject({
      status: 400,
      field: 'sha256',
    });
    const other = makeReleaseKey(join(dir.path, 'someone-else'));
    const forged = signRelease(file, other.privateFile);
    expect(await problem(await put(file, forged))).toMatchObject({ status: 400, field: 'signature' });
    const renamed = signRelease(tarball('1.3.0'), key);
    expect(await problem(await put(tarball('1.3.0'), { ...renamed, version: '1.4.0' }))).toMatchObject({
      status: 400,
    });
    expect(await problem(await put(file, signed, f.a.admin))).toMatchObject({ status: 403 });
    // Nothing of the refused uploads is left behind.
    expect(existsSync(setup.dir) ? readdirSync(setup.dir) : []).toEqual([]);

    expect((await put(file, signed)).status).toBe(201);
    expect(readFileSync(join(setup.dir, '1.2.0.tar.gz'))).toEqual(readFileSync(file));
    const again = tarball('1.2.0', 'different bytes');
    expect(await problem(await put(again, signRelease(again, key)))).toMatchObject({ status: 409 });
    const listed = (await (await f.call(f.operator, 'GET', '/api/v1/fleet/releases')).json()) as {
      releases: { version: string; sha256: string }[];
    };
    expect(listed.releases).toEqual([expect.objectContaining({ version: '1.2.0', sha256: signed.sha256 })]);
  });

  it('offers a release in the config of the terminals a rollout names, and only they may download it', async () => {
    const file = tarball('1.2.0');
    const signed = signRelease(file, key);
    await put(file, signed);
    const unknown = await f.call(f.operator, 'POST', '/api/v1/fleet/rollouts', {
      version: '1.2.0',
      terminals: ['nowhere-01'],
    });
    expect(await problem(unknown)).toMatchObject({ status: 404, field: 'terminals' });
    const rolled = await f.call(f.operator, 'POST', '/api/v1/fleet/rollouts', {
      version: '1.2.0',
      terminals: [f.a.terminalId],
    });
    expect(await rolled.json()).toEqual({ version: '1.2.0', offered: [f.a.terminalId], notLeased: [] });
    expect(f.effects.configs).toContain(f.a.terminalId);
    expect(f.store.directory.configFor(f.a.terminalId)?.update).toEqual({
      version: '1.2.0',
      url: 'https://updates.example.jp/updates/1.2.0.tar.gz',
      sha256: signed.sha256,
      size: signed.size,
      signature: signed.signature,
    });
    expect(f.store.directory.configFor(f.b.terminalId)?.update).toBeUndefined();

    const password = f.store.directory.rotateTerminalSecret(f.a.terminalId);
    const otherPassword = f.store.directory.rotateTerminalSecret(f.b.terminalId);
    const download = (authorization?: string) =>
      f.app.request('/updates/1.2.0.tar.gz', authorization === undefined ? {} : { headers: { authorization } });
    const anonymous = await download();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    expect((await download(basic(f.a.terminalId, 'wrong password 123'))).status).toBe(401);
    expect((await download(basic(f.b.terminalId, otherPassword))).status).toBe(404);
    const got = await download(basic(f.a.terminalId, password));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(readFileSync(file));

    const progress = (await (await f.call(f.operator, 'GET', '/api/v1/fleet/rollouts/1.2.0')).json()) as {
      counts: Record<string, number>;
    };
    expect(progress.counts).toMatchObject({ offered: 1, done: 0 });
    const withdrawn = await f.call(f.operator, 'DELETE', '/api/v1/fleet/rollouts/1.2.0');
    expect(await withdrawn.json()).toEqual({ withdrawn: [f.a.terminalId] });
    expect(f.store.directory.configFor(f.a.terminalId)?.update).toBeUndefined();
    expect((await download(basic(f.a.terminalId, password))).status).toBe(404);
  });

  it('picks the same terminals for a share each time, and more as the share grows', async () => {
    await put(tarball('1.2.0'), signRelease(tarball('1.2.0'), key));
    const offered = async (share: number) =>
      (
        (await (await f.call(f.operator, 'POST', '/api/v1/fleet/rollouts', { version: '1.2.0', share })).json()) as {
          offered: string[];
        }
      ).offered;
    const all = await offered(100);
    expect(all).toEqual([f.a.terminalId, f.b.terminalId].sort());
    const some = await offered(50);
    expect(await offered(50)).toEqual(some);
    for (const terminalId of some) expect(all).toContain(terminalId);
  });

  it('says plainly that a server without updates configured takes no release', async () => {
    const plain = apiFixture(join(dir.path, 'plain'));
    const file = tarball('1.2.0');
    const response = await plain.app.request(
      `/api/v1/fleet/releases/1.2.0?sha256=${'a'.repeat(64)}&signature=${'A'.repeat(88)}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${plain.operator}` },
        body: readFileSync(file),
      },
    );
    expect(await problem(response)).toMatchObject({ status: 503, field: 'updates' });
    plain.close();
  });
});
