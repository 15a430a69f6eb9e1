import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets we issue (terminal passwords, API tokens) are 32 random bytes, so a fast
 * hash is enough to store them: there is nothing to guess, only something to leak.
 */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, hash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
