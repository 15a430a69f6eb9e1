import { z } from 'zod';

/** A release's version as `npm run release` names it: 0.1.0, 0.2.0-rc.1. */
export const ReleaseVersionSchema = z
  .string()
  .regex(/^\d{1,4}\.\d{1,4}\.\d{1,4}(-[0-9A-Za-z.-]{1,32})?$/, 'must be a release version such as 0.2.0');

/** The most a release tarball may weigh: a terminal downloads it into its own disk. */
export const MAX_RELEASE_BYTES = 256 * 1024 * 1024;

/**
 * A release offered to a terminal (in its config, while a rollout targets it): where to
 * download it and what it must be. The signature is the operator's, over releaseSigningText;
 * the terminal checks it with the key from its provisioning bundle before installing anything.
 */
export const UpdateOfferSchema = z.strictObject({
  version: ReleaseVersionSchema,
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex'),
  size: z.int().min(1).max(MAX_RELEASE_BYTES),
  signature: z.base64().min(80).max(100),
});
export type UpdateOffer = z.infer<typeof UpdateOfferSchema>;

/** What an update did on a terminal, last reported in its status. */
export const UPDATE_STATES = [
  'downloading',
  'installing',
  'waiting',
  'restarting',
  'confirmed',
  'rolled_back',
  /** The new release migrated the store past what the old one reads: it stays, and says so. */
  'rollback_refused',
  'failed',
] as const;
export type UpdateState = (typeof UPDATE_STATES)[number];

/**
 * What the operator's Ed25519 key signs for a release: its version, the SHA-256 of the
 * tarball and its size, so a signature for one release never vouches for another.
 */
export function releaseSigningText(release: { version: string; sha256: string; size: number }): Buffer {
  return Buffer.from(`ccus-gate-release\n${release.version}\n${release.sha256}\n${release.size}\n`, 'utf8');
}
