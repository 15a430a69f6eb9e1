import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { releaseSigningText } from '@ccus-gate/protocol';

/**
 * The operator's release key (Ed25519), made once on the operator's own machine: the private
 * half signs releases and never goes to a server; the public half goes into the server's
 * config (updates.publicKeyFile), and from there into every provisioning bundle.
 */
export function makeReleaseKey(dir: string): { privateFile: string; publicFile: string } {
  const privateFile = join(dir, 'release-signing.key');
  const publicFile = join(dir, 'release-signing.pub');
  for (const file of [privateFile, publicFile]) {
    if (existsSync(file))
      throw new Error(`${file} exists already; a new key would orphan every terminal that trusts it`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(dir, { recursive: true });
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { privateFile, publicFile };
}

/** Signs a release tarball of `npm run release`: its version (from its release.json), SHA-256 and size. */
export function signRelease(
  tarball: string,
  keyFile: string,
): { version: string; sha256: string; size: number; signature: string } {
  const bytes = readFileSync(tarball);
  const inside = execFileSync('tar', ['-xzOf', tarball, '--wildcards', '*/release.json'], { encoding: 'utf8' });
  const { version } = JSON.parse(inside) as { version: string };
  const release = { version, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  const signature = sign(null, releaseSigningText(release), createPrivateKey(readFileSync(keyFile))).toString('base64');
  return { ...release, signature };
}
