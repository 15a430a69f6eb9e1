import { MAX_RELEASE_BYTES, ReleaseVersionSchema, type TerminalId } from '@ccus-gate/protocol';
import { z } from '@hono/zod-openapi';
import { StoreError } from '../../store/store-error.js';
import { downloadUrl, receiveRelease } from '../../updates/release-upload.js';
import { chooseTerminals, ROLLOUT_STATES, type RolloutState, rolloutState } from '../../updates/rollout.js';
import type { Release } from '../../updates/update-store.js';
import { body, created, define, ok, type RouteKit, refusal, router } from '../route-kit.js';

const VersionParam = z.object({ version: ReleaseVersionSchema });
const ReleaseQuery = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the tarball, in hex'),
  signature: z.base64().min(80).max(100).openapi({ description: '`ccus-gate-server release-sign` prints it' }),
});
const RolloutBody = z
  .strictObject({
    version: ReleaseVersionSchema,
    terminals: z.array(z.string().min(1).max(64)).min(1).max(10_000).optional(),
    share: z.int().min(1).max(100).optional().openapi({ description: 'per cent of the leased fleet' }),
  })
  .refine((input) => input.terminals === undefined || input.share === undefined, {
    message: 'give terminals or a share, not both',
    path: ['share'],
  })
  .openapi('Rollout');

type RolloutTerminal = {
  terminalId: string;
  state: RolloutState;
  firmware: string | null;
  detail: string;
  requestedAt: string;
  statusAt: string | null;
};

/**
 * Over-the-air updates, for the operator (updates/): publish a signed release, offer it to
 * chosen terminals or a share of the fleet, follow each terminal, withdraw it. Terminals
 * download it from `/updates/<version>.tar.gz` with their own credentials (http-api.ts).
 */
export function releaseRoutes(kit: RouteKit) {
  const { onBehalfOf, effects } = kit;
  const { directory, corrections, updates } = kit.store;
  const setup = () => {
    if (kit.updates === null) {
      throw new StoreError(
        'unavailable',
        'this server has no updates configured: set updates in its config',
        'updates',
      );
    }
    return kit.updates;
  };
  const unconfigured = refusal(503, 'the server has no `updates` in its config');

  return router()
    .openapi(
      define('operator', {
        method: 'put',
        path: '/api/v1/fleet/releases/{version}',
        tags: ['updates'],
        description: `The tarball of \`npm run release\` as the body (application/gzip, at most ${MAX_RELEASE_BYTES} bytes), its SHA-256 and the operator's signature in the query.`,
        request: { params: VersionParam, query: ReleaseQuery },
        responses: {
          ...created<{ release: Release }>('published: checked, signed, kept'),
          ...refusal(409, 'this version is already published with another tarball'),
          ...unconfigured,
        },
      }),
      async (c) => {
        const { version } = c.req.valid('param');
        const query = c.req.valid('query');
        const { sha256, size } = await receiveRelease(setup(), c.req.raw.body, { version, ...query });
        const release = {
          version,
          sha256,
          size,
          signature: query.signature,
          publishedAt: kit.now().toISOString(),
          publishedBy: c.get('caller').label,
        };
        await updates.addRelease(release);
        await corrections.note(onBehalfOf(c, null), 'publish_release', `release ${version}`, null, { sha256, size });
        return c.json({ release }, 201);
      },
    )
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/fleet/releases',
        tags: ['updates'],
        responses: ok<{ releases: Release[] }>('published releases, newest first'),
      }),
      async (c) => c.json({ releases: await updates.releases() }, 200),
    )
    .openapi(
      define('operator', {
        method: 'post',
        path: '/api/v1/fleet/rollouts',
        tags: ['updates'],
        request: body('a release, and the terminals (or the share of the leased fleet) to offer it to', RolloutBody),
        responses: {
          ...ok<{ version: string; offered: string[]; notLeased: string[] }>(
            'the terminals now offered the release; each installs it in a quiet moment',
          ),
          ...unconfigured,
        },
      }),
      async (c) => {
        const input = c.req.valid('json');
        const updatesSetup = setup();
        const choice = chooseTerminals(await directory.terminals(null), input.version, input);
        if (choice.unknown.length > 0) {
          throw new StoreError('not_found', `no terminals ${choice.unknown.join(', ')}`, 'terminals');
        }
        const offered = await updates.offer(input.version, choice.chosen, downloadUrl(updatesSetup, input.version));
        await corrections.note(onBehalfOf(c, null), 'roll_out_release', `release ${input.version}`, null, {
          terminals: offered.length,
          ...(input.share === undefined ? {} : { share: input.share }),
        });
        effects.configChanged(offered as TerminalId[]);
        return c.json({ version: input.version, offered, notLeased: choice.notLeased }, 200);
      },
    )
    .openapi(
      define('operator', {
        method: 'get',
        path: '/api/v1/fleet/rollouts/{version}',
        tags: ['updates'],
        request: { params: VersionParam },
        responses: ok<{ version: string; counts: Record<RolloutState, number>; terminals: RolloutTerminal[] }>(
          'each offered terminal: offered, updating, done (running it), rolled back or failed, from what it last reported',
        ),
      }),
      async (c) => {
        const { version } = c.req.valid('param');
        if ((await updates.release(version)) === null) {
          throw new StoreError('not_found', `no release ${version} is published`, 'version');
        }
        const terminals = (await updates.targets(version)).map((target) => ({
          terminalId: target.terminalId,
          ...rolloutState(target),
          requestedAt: target.requestedAt,
          statusAt: target.statusAt,
        }));
        const counts = Object.fromEntries(ROLLOUT_STATES.map((state) => [state, 0])) as Record<RolloutState, number>;
        for (const terminal of terminals) counts[terminal.state]++;
        return c.json({ version, counts, terminals }, 200);
      },
    )
    .openapi(
      define('operator', {
        method: 'delete',
        path: '/api/v1/fleet/rollouts/{version}',
        tags: ['updates'],
        request: { params: VersionParam },
        responses: ok<{ withdrawn: string[] }>(
          'no terminal is offered the release any more; those that installed it keep it',
        ),
      }),
      async (c) => {
        const { version } = c.req.valid('param');
        const withdrawn = await updates.withdraw(version);
        await corrections.note(onBehalfOf(c, null), 'withdraw_release', `release ${version}`, null, {
          terminals: withdrawn.length,
        });
        effects.configChanged(withdrawn as TerminalId[]);
        return c.json({ withdrawn }, 200);
      },
    );
}
