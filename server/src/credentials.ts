import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

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

/**
 * The same secret hashed as Mosquitto's password file wants it (`$7$`: PBKDF2-SHA512, 101
 * iterations, 12-byte salt, as mosquitto_passwd writes), so an external broker can check
 * terminal passwords without the server ever keeping them.
 */
export function mosquittoHash(secret: string, iterations = 101): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(secret, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}
