import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { secure, tokensEqual } from './session.js';

/**
 * A browser that signed in before as a login: it keeps signing in with its own budget of
 * failures while others fail from the same address (OWASP's "device cookies"). The cookie
 * is a nonce and its HMAC keyed by the user's password hash, so nothing is stored, it holds
 * across restarts and servers, and a changed password ends it.
 */
export const DEVICE_COOKIE = 'ccg_device';

/**
 * One cookie per login (named by a hash of it), so a browser that several people sign in on,
 * a site office's PC, stays known for each of them: signing in as one does not forget another.
 */
export const deviceCookieName = (login: string): string =>
  `${DEVICE_COOKIE}_${createHash('sha256').update(login.toLowerCase()).digest('base64url').slice(0, 12)}`;
const ONE_YEAR_S = 365 * 24 * 3600;

const macOf = (nonce: string, login: string, passwordHash: string): string =>
  createHmac('sha256', passwordHash).update(`device\n${login}\n${nonce}`).digest('base64url');

export function setDeviceCookie(c: Context, login: string, passwordHash: string): void {
  const nonce = randomBytes(16).toString('base64url');
  setCookie(c, deviceCookieName(login), `${nonce}.${macOf(nonce, login, passwordHash)}`, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/signin',
    secure: secure(c),
    maxAge: ONE_YEAR_S,
  });
}

/** The device's id when this browser's cookie was issued to this login with this password. */
export function knownDevice(c: Context, login: string, passwordHash: string | null): string | undefined {
  const value = getCookie(c, deviceCookieName(login));
  if (value === undefined || passwordHash === null) return undefined;
  const [nonce = '', mac = ''] = value.split('.');
  if (nonce === '' || !tokensEqual(mac, macOf(nonce, login, passwordHash))) return undefined;
  return nonce;
}
