import { execFile } from 'node:child_process';
import { createHash, type KeyObject, randomUUID, verify } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { MAX_RELEASE_BYTES, releaseSigningText } from '@ccus-gate/protocol';
import { StoreError } from '../store/store-error.js';

const run = promisify(execFile);

/** Where this server keeps releases, the operator's key it checks them with, and how terminals reach it. */
export interface UpdatesSetup {
  publicKey: KeyObject;
  /** The same key as PEM, for provisioning bundles. */
  publicKeyPem: string;
  dir: string;
  /** This server's HTTP address as terminals reach it (https://…): downloads are `<publicUrl>/updates/<version>.tar.gz`. */
  publicUrl: string;
}

export const releaseFile = (setup: UpdatesSetup, version: string): string => join(setup.dir, `${version}.tar.gz`);
export const downloadUrl = (setup: UpdatesSetup, version: string): string =>
  `${setup.publicUrl.replace(/\/+$/, '')}/updates/${version}.tar.gz`;

/**
 * Takes a release tarball as the operator uploads it: streamed to disk (never held in
 * memory), at most MAX_RELEASE_BYTES, then checked: its SHA-256 is the one claimed, the
 * operator's key signed it, and the release.json inside names the same version. Only then
 * is it kept as `<version>.tar.gz`; anything wrong leaves nothing behind.
 */
export async function receiveRelease(
  setup: UpdatesSetup,
  body: ReadableStream<Uint8Array> | null,
  claimed: { version: string; sha256: string; signature: string },
): Promise<{ sha256: string; size: number }> {
  if (body === null) throw new StoreError('invalid', 'send the release tarball as the request body', 'body');
  mkdirSync(setup.dir, { recursive: true, mode: 0o700 });
  const partial = join(setup.dir, `.${claimed.version}.${randomUUID()}.part`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > MAX_RELEASE_BYTES) {
          done(new StoreError('invalid', `a release is at most ${MAX_RELEASE_BYTES} bytes`, 'body'));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(body as import('node:stream/web').ReadableStream),
      count,
      createWriteStream(partial, { mode: 0o600 }),
    );
    const sha256 = hash.digest('hex');
    if (sha256 !== claimed.sha256) {
      throw new StoreError('invalid', `the tarball's SHA-256 is ${sha256}, not the ${claimed.sha256} given`, 'sha256');
    }
    const signed = verify(
      null,
      releaseSigningText({ version: claimed.version, sha256, size }),
      setup.publicKey,
      Buffer.from(claimed.signature, 'base64'),
    );
    if (!signed) {
      throw new StoreError(
        'invalid',
        `the signature is not the operator's for release ${claimed.version} (${sha256}, ${size} bytes); sign it with \`ccus-gate-server release-sign\``,
        'signature',
      );
    }
    const inside = await run('tar', ['-xzOf', partial, '--wildcards', '*/release.json'], { maxBuffer: 64 * 1024 })
      .then(({ stdout }) => (JSON.parse(stdout) as { version?: unknown }).version)
      .catch(() => null);
    if (inside !== claimed.version) {
      throw new StoreError(
        'invalid',
        inside === null
          ? 'the tarball holds no release.json: build it with `npm run release`'
          : `the tarball is release ${String(inside)}, not ${claimed.version}`,
        'version',
      );
    }
    renameSync(partial, releaseFile(setup, claimed.version));
    return { sha256, size };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}
