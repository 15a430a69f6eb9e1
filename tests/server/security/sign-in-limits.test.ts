import { deviceCookieName, type HttpListener, listenHttp } from '@ccus-gate/server';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/temp-dir.js';
import { overHttp, PASSWORD, WebClient, type WebFixture, webFixture } from '../../support/web-client.js';

/**
 * Failed sign-ins over real sockets, API tokens and dashboard passwords, as they arrive in
 * the field: many people behind one proxy, an attacker at the same office, a forged
 * X-Forwarded-For.
 */
describe('failed sign-ins', () => {
  const dir = tempDir('sign-in-limits');
  let f: WebFixture;
  let http: HttpListener;

  const start = async (options: { trustedProxies?: string[] } = {}): Promise<void> => {
    f = await webFixture(dir.path, options);
    http = await listenHttp(f.web, { host: '127.0.0.1', port: 0 });
  };
  afterEach(async () => {
    await http.close();
    f.close();
    dir.remove();
  });

  const browser = (headers: Record<string, string> = {}): WebClient => new WebClient(overHttp(http.url), headers);
  const withToken = (token: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${http.url}/api/v1/records`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  const signOut = async (client: WebClient): Promise<void> => {
    await client.get('/today');
    await client.post('/signout', {});
    expect(client.cookies.has('ccg_session')).toBe(false);
  };

  it('never refuses a right API token for the failures of others at the same address', async () => {
    await start();
    const statuses = [];
    for (let i = 0; i < 25; i++) statuses.push((await withToken('ccg_wrong')).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(5).fill(429));
    const refused = await withToken('ccg_wrong');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await withToken(f.a.viewer)).status).toBe(200);
  });

  it('counts token failures and password failures from one address against one budget', async () => {
    await start();
    for (let i = 0; i < 20; i++) expect((await withToken('ccg_wrong')).status).toBe(401);
    const guesser = browser();
    expect((await guesser.signIn('a-admin', 'a guess')).status).toBe(429);
    expect((await guesser.signIn('a-admin', PASSWORD)).status).toBe(429);
    expect(guesser.cookies.has('ccg_session')).toBe(false);
  });

  it("does not let an attacker behind the site's proxy lock an account's owner out from elsewhere", async () => {
    await start({ trustedProxies: ['loopback'] });
    const attacker = browser({ 'x-forwarded-for': '203.0.113.9' });
    // Logins are case-insensitive, and so is their budget.
    const spellings = ['a-admin', 'A-ADMIN', 'a-Admin', 'A-admin', 'a-ADMIN'];
    for (let i = 0; i < 10; i++) {
      expect((await attacker.signIn(spellings[i % 5] as string, `guess ${i}`)).status).toBe(401);
    }
    expect((await attacker.signIn('A-Admin', 'one more')).status).toBe(429);
    expect((await attacker.signIn('a-admin', PASSWORD)).status).toBe(429);
    const owner = browser({ 'x-forwarded-for': '198.51.100.7' });
    expect((await owner.signIn('a-admin', PASSWORD)).status).toBe(303);
    // Another account at the attacker's address is not locked by the attacker's account budget.
    expect((await browser({ 'x-forwarded-for': '203.0.113.9' }).signIn('a-viewer', PASSWORD)).status).toBe(303);
  });

  it('believes X-Forwarded-For only from a trusted proxy: a forged one gets no fresh budget', async () => {
    await start();
    for (let i = 0; i < 20; i++) {
      const forger = browser({ 'x-forwarded-for': `192.0.2.${i + 1}` });
      expect((await forger.signIn(`nobody-${i}`, 'a guess')).status).toBe(401);
    }
    expect((await browser({ 'x-forwarded-for': '192.0.2.200' }).signIn('nobody', 'a guess')).status).toBe(429);
  });

  it('lets a browser that signed in before keep signing in while someone at the same address is turned away', async () => {
    await start();
    const owner = browser();
    expect((await owner.signIn('a-admin', PASSWORD)).status).toBe(303);
    expect(owner.cookies.has(deviceCookieName('a-admin'))).toBe(true);
    await signOut(owner);

    // Someone in the same office (one address, no trusted proxy) sprays guesses over accounts.
    for (let i = 0; i < 20; i++) {
      expect((await browser().signIn(i % 2 === 0 ? 'a-admin' : `x-${i}`, 'a guess')).status).toBe(401);
    }
    expect((await browser().signIn('a-viewer', PASSWORD)).status).toBe(429);
    expect((await owner.signIn('a-admin', PASSWORD)).status).toBe(303);
    await signOut(owner);

    // The device cookie is the owner's own: it does not open another account, and a wrong
    // password through it counts against that device alone.
    const borrowed = browser();
    borrowed.cookies.set(deviceCookieName('a-viewer'), owner.cookies.get(deviceCookieName('a-admin')) as string);
    expect((await borrowed.signIn('a-viewer', PASSWORD)).status).toBe(429);
    for (let i = 0; i < 10; i++) expect((await owner.signIn('a-admin', `typo ${i}`)).status).toBe(401);
    expect((await owner.signIn('a-admin', PASSWORD)).status).toBe(429);
  });

  it('keeps a shared office browser known for each person who signed in on it', async () => {
    await start();
    const office = browser();
    expect((await office.signIn('a-admin', PASSWORD)).status).toBe(303);
    await signOut(office);
    expect((await office.signIn('a-viewer', PASSWORD)).status).toBe(303);
    await signOut(office);
    // Someone at the same address sprays guesses: both people at the office PC still get in.
    for (let i = 0; i < 20; i++) expect((await browser().signIn(`x-${i}`, 'a guess')).status).toBe(401);
    expect((await browser().signIn('a-admin', PASSWORD)).status).toBe(429);
    expect((await office.signIn('a-admin', PASSWORD)).status).toBe(303);
    await signOut(office);
    expect((await office.signIn('A-VIEWER', PASSWORD)).status).toBe(303);
  });

  it('forgets a device when its password changes', async () => {
    await start();
    const owner = browser();
    expect((await owner.signIn('a-admin', PASSWORD)).status).toBe(303);
    const device = owner.cookies.get(deviceCookieName('a-admin')) as string;
    f.store.db.sql("UPDATE users SET password_hash = 'scrypt$changed' WHERE login = 'a-admin'").run();
    for (let i = 0; i < 20; i++) expect((await browser().signIn(`x-${i}`, 'a guess')).status).toBe(401);
    const again = browser();
    again.cookies.set(deviceCookieName('a-admin'), device);
    expect((await again.signIn('a-admin', PASSWORD)).status).toBe(429);
  });

  it('marks its cookies Secure behind a trusted TLS proxy, and never because a client says so', async () => {
    const cookieOf = async (headers: Record<string, string>) => {
      const response = await browser(headers).signIn('a-admin', PASSWORD);
      return response.headers.getSetCookie().find((line) => line.startsWith('ccg_session=')) ?? '';
    };
    // No trusted proxy: a plain-HTTP client claiming HTTPS gets a cookie it can keep over HTTP.
    await start();
    expect(await cookieOf({ 'x-forwarded-proto': 'https' })).not.toMatch(/;\s*Secure/i);
    await http.close();
    f.close();
    dir.remove();
    // The site's TLS proxy on loopback says the browser's connection is HTTPS: Secure.
    await start({ trustedProxies: ['loopback'] });
    expect(await cookieOf({ 'x-forwarded-proto': 'https' })).toMatch(/;\s*Secure/i);
    expect(await cookieOf({ 'x-forwarded-proto': 'http' })).not.toMatch(/;\s*Secure/i);
  });
});
