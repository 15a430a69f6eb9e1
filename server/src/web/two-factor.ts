import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238 as authenticator apps expect by default: SHA-1, six digits, 30-second steps. */
const PERIOD_S = 30;

const totpOf = (secret: string, login = ''): TOTP =>
  new TOTP({
    issuer: 'CCUS Gate',
    label: login,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_S,
    secret: Secret.fromBase32(secret),
  });

/** A new shared secret (160 bits, base32), for a user to put into their authenticator app. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** Whether a string is a secret this server would have made. */
export const isTotpSecret = (value: string): boolean => /^[A-Z2-7]{32}$/.test(value);

/** The otpauth:// URI and its QR code (SVG) that an authenticator app scans. */
export async function enrolment(secret: string, login: string): Promise<{ uri: string; svg: string }> {
  const uri = totpOf(secret, login).toString();
  return { uri, svg: await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }) };
}

/**
 * The time step a six-digit code belongs to, allowing one step either side for a phone's
 * clock; null when it is not right. The caller takes the step as used (no replays).
 */
export function codeStep(secret: string, code: string, now: Date): number | null {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totpOf(secret).validate({ token, timestamp: now.getTime(), window: 1 });
  return delta === null ? null : Math.floor(now.getTime() / 1000 / PERIOD_S) + delta;
}
