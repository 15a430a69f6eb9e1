import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { SignedIn } from '../store/directory-store.js';

export const SESSION_COOKIE = 'ccg_session';
/** Carries the sign-in form's token before there is a session (login CSRF). */
export const SIGN_IN_COOKIE = 'ccg_signin';
export const FLASH_COOKIE = 'ccg_flash';
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;

export interface WebSession {
  user: SignedIn;
  csrf: string;
  token: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by the dashboard for each request (http/client-address.ts, httpsOf). */
    https: boolean;
  }
}

/**
 * Secure cookies over HTTPS; plain HTTP (the demo on localhost) cannot keep a Secure cookie.
 * Whether it is HTTPS the dashboard decides per request, believing X-Forwarded-Proto only from
 * a trusted proxy.
 */
export const secure = (c: Context): boolean => c.get('https') ?? new URL(c.req.url).protocol === 'https:';

const cookieOptions = (c: Context, maxAgeSeconds: number) =>
  ({ httpOnly: true, sameSite: 'Lax', path: '/', secure: secure(c), maxAge: maxAgeSeconds }) as const;

export function setSessionCookie(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, cookieOptions(c, SESSION_LIFETIME_MS / 1000));
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secure(c) });
}

export const sessionToken = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE);

/** The fleet operator's session (routes/fleet-routes.tsx): a cookie of its own, apart from a tenant user's. */
export const FLEET_COOKIE = 'ccg_fleet';

export function setFleetCookie(c: Context, token: string): void {
  setCookie(c, FLEET_COOKIE, token, cookieOptions(c, SESSION_LIFETIME_MS / 1000));
}

export function clearFleetCookie(c: Context): void {
  deleteCookie(c, FLEET_COOKIE, { path: '/', secure: secure(c) });
}

export const fleetToken = (c: Context): string | undefined => getCookie(c, FLEET_COOKIE);

/**
 * The session's CSRF token, derived from the session token (an HMAC of it), so nothing
 * about it is stored: the database keeps only the session token's hash, from which neither
 * can be found. Forms carry it; a cross-site page cannot read it.
 */
export const csrfOf = (sessionToken: string): string =>
  createHmac('sha256', sessionToken).update('ccus-gate csrf').digest('base64url');

/** A fresh token for the sign-in form, kept in a short-lived cookie to compare on submit. */
export function issueSignInToken(c: Context): string {
  const token = randomBytes(24).toString('base64url');
  setCookie(c, SIGN_IN_COOKIE, token, { ...cookieOptions(c, 30 * 60), sameSite: 'Strict' });
  return token;
}

export function signInTokenMatches(c: Context, given: unknown): boolean {
  const expected = getCookie(c, SIGN_IN_COOKIE);
  return expected !== undefined && tokensEqual(given, expected);
}

export function tokensEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A one-time message for the next page: what an action did, or why it could not. */
export function setFlash(c: Context, kind: 'ok' | 'error', text: string): void {
  setCookie(c, FLASH_COOKIE, Buffer.from(JSON.stringify({ kind, text })).toString('base64url'), cookieOptions(c, 60));
}

export function takeFlash(c: Context): { kind: 'ok' | 'error'; text: string } | null {
  const raw = getCookie(c, FLASH_COOKIE);
  if (raw === undefined) return null;
  deleteCookie(c, FLASH_COOKIE, { path: '/', secure: secure(c) });
  try {
    const flash = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { kind?: unknown; text?: unknown };
    if ((flash.kind === 'ok' || flash.kind === 'error') && typeof flash.text === 'string') {
      return { kind: flash.kind, text: flash.text.slice(0, 500) };
    }
  } catch {
    // A mangled cookie is dropped, not shown.
  }
  return null;
}
