import { createReadStream, existsSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { AddressOf } from '../http/client-address.js';
import type { SignInLimiter } from '../http/sign-in-limiter.js';
import { releaseFile, type UpdatesSetup } from '../updates/release-upload.js';
import { problem } from './problem.js';
import type { ApiStores, Env } from './route-kit.js';

/**
 * `GET /updates/<version>.tar.gz`: a terminal downloads a release it is offered, signed in
 * with its own broker credentials (HTTP basic auth), so nobody else fetches the fleet's
 * software. Wrong credentials count against the address like any failed sign-in.
 */
export function serveReleases(
  app: OpenAPIHono<Env>,
  store: Pick<ApiStores, 'directory' | 'updates'>,
  setup: UpdatesSetup | null,
  limiter: SignInLimiter,
  addressOf: AddressOf,
  options: { log?: Logger } = {},
): void {
  app.get('/updates/:file{[0-9A-Za-z.-]+\\.tar\\.gz}', async (c) => {
    if (setup === null) return problem(c, 404, 'Not Found', 'this server offers no updates');
    const version = (c.req.param('file') ?? '').replace(/\.tar\.gz$/, '');
    const match = /^Basic\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const [terminalId, password] = Buffer.from(match?.[1] ?? '', 'base64')
      .toString('utf8')
      .split(/:(.*)/s) as [string, string | undefined];
    const signedIn =
      match !== null && password !== undefined && (await store.directory.terminalSecretMatches(terminalId, password));
    if (!signedIn) {
      const attempt = { address: addressOf(c) };
      if (limiter.blockedFor(attempt) > 0) {
        return problem(c, 429, 'Too Many Requests', 'too many failed sign-ins from this address; try again later');
      }
      limiter.fail(attempt);
      c.header('www-authenticate', 'Basic realm="ccus-gate updates"');
      return problem(c, 401, 'Unauthorized', 'sign in as the terminal, with its broker password');
    }
    if (!(await store.updates.isOffered(terminalId, version))) {
      return problem(c, 404, 'Not Found', `terminal ${terminalId} is not offered release ${version}`);
    }
    const file = releaseFile(setup, version);
    const size = existsSync(file) ? statSync(file).size : null;
    if (size === null) {
      options.log?.error({ version, file }, 'a published release is missing from updates.dir');
      return problem(c, 503, 'Service Unavailable', `release ${version} is missing on the server; publish it again`);
    }
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream, 200, {
      'content-type': 'application/gzip',
      'content-length': String(size),
    });
  });
}
