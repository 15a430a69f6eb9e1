import { createHash, type KeyObject, verify } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { dirname } from 'node:path';
import { releaseSigningText, type UpdateOffer } from '@ccus-gate/protocol';

/**
 * Why an update stopped, in words for the status and the journal. `final`: trying the same
 * release again cannot help (a bad signature, not a release); otherwise (the server out of
 * reach, a download cut short) it is tried again later.
 */
export class UpdateError extends Error {
  override readonly name = 'UpdateError';
  readonly final: boolean;

  constructor(message: string, options: { final?: boolean } = {}) {
    super(message);
    this.final = options.final ?? false;
  }
}

/**
 * Downloads an offered release to `file`, as the terminal (HTTP basic auth with its broker
 * credentials), trusting `ca` as well as the public CAs for https. Stops at the offered
 * size; the file is removed when anything is wrong.
 */
export async function downloadRelease(
  offer: UpdateOffer,
  file: string,
  options: { username: string; password: string; ca?: Buffer; timeoutMs?: number },
): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const url = new URL(offer.url);
      const get = url.protocol === 'https:' ? httpsGet : httpGet;
      const request = get(
        url,
        {
          auth: `${options.username}:${options.password}`,
          timeout: options.timeoutMs ?? 60_000,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        },
        (response) => {
          if (response.statusCode !== 200) {
            response.resume();
            // 5xx and 429 pass; any other refusal is the server's answer for this release.
            const status = response.statusCode ?? 0;
            reject(
              new UpdateError(`the server answered ${status} for ${url.pathname}`, {
                final: status >= 400 && status < 500 && status !== 429,
              }),
            );
            return;
          }
          const hash = createHash('sha256');
          let bytes = 0;
          const out = createWriteStream(file, { mode: 0o600 });
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > offer.size) {
              request.destroy(new UpdateError(`the download is larger than the ${offer.size} bytes offered`));
              return;
            }
            hash.update(chunk);
          });
          response.pipe(out);
          out.on('error', reject);
          response.on('error', reject);
          out.on('finish', () => {
            if (bytes !== offer.size) reject(new UpdateError(`downloaded ${bytes} bytes, ${offer.size} offered`));
            else if (hash.digest('hex') !== offer.sha256)
              reject(new UpdateError('the download does not match its SHA-256'));
            else resolve();
          });
        },
      );
      request.on('timeout', () => request.destroy(new UpdateError('the download timed out')));
      request.on('error', reject);
    });
  } catch (error) {
    rmSync(file, { force: true });
    throw error instanceof UpdateError ? error : new UpdateError(`download failed: ${(error as Error).message}`);
  }
}

/** Throws unless the operator's key signed this release (version, SHA-256 and size together). */
export function checkSignature(offer: UpdateOffer, key: KeyObject): void {
  const signature = Buffer.from(offer.signature, 'base64');
  if (!verify(null, releaseSigningText(offer), key, signature)) {
    throw new UpdateError(`release ${offer.version} is not signed by the operator's key this terminal trusts`, {
      final: true,
    });
  }
}
