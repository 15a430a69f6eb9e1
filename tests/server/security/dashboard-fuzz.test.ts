import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIRECT_CORPUS } from '../../support/redirect-corpus.js';
import { tempDir } from '../../support/temp-dir.js';
import { PASSWORD, WebClient, type WebFixture, webFixture } from '../../support/web-client.js';

const ORIGIN = 'https://gate.example';

/** Where a browser would go with this Location: it must stay on this server. */
function staysHere(location: string): boolean {
  const cleaned = location.replace(/[\t\n\r]/g, '').replace(/\\/g, '/');
  return new URL(location, `${ORIGIN}/`).origin === ORIGIN && new URL(cleaned, `${ORIGIN}/`).origin === ORIGIN;
}

/** Every form the dashboard posts, with the path parameters filled in from the fuzz too. */
const FORMS = [
  '/workers',
  '/workers/:workerId/remove',
  '/workers/:workerId/cards',
  '/cards/remove',
  '/roster/add',
  '/roster/remove',
  '/attention/bind',
  '/attention/exit',
  '/attention/void-tap',
  '/attention/tap-time',
  '/attention/add-day',
  '/attention/confirm-clock',
  '/attention/corrections/:id/approve',
  '/attention/corrections/:id/reject',
  '/records/retry',
  '/terminals/:terminalId/selftest',
  '/accounts/users',
  '/accounts/users/:userId/remove',
  '/accounts/tokens',
  '/accounts/tokens/:id/revoke',
] as const;

const FIELDS = [
  'workerId',
  'name',
  'trades',
  'card',
  'tech',
  'site',
  'siteId',
  'trade',
  'position',
  'workContent',
  'periodFrom',
  'periodUntil',
  'workingDay',
  'day',
  'time',
  'firstIn',
  'lastOut',
  'at',
  'seq',
  'terminalId',
  'reason',
  'login',
  'password',
  'role',
  'label',
  'key',
] as const;

/** What a hostile or careless person types: anything, near misses, control characters, long text. */
const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '11110000000001',
    '20260000000001',
    '2026-11-24',
    '2026-02-30',
    '25:61',
    '08:00',
    '-1',
    '1e309',
    '<script>alert(1)</script>',
    "'; DROP TABLE workers; --",
    '\u0000',
    '\r\nSet-Cookie: x=y',
    '𠮷野家',
    'Nguyễn Văn Ánh',
  ),
  fc.string({ minLength: 2000, maxLength: 8000 }),
);

const segment = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('1', '11110000000001', 'gate-a'));

describe('fuzzed dashboard forms', () => {
  const dir = tempDir('dashboard-fuzz');
  let f: WebFixture;
  let admin: WebClient;

  beforeAll(async () => {
    f = await webFixture(dir.path);
    admin = await f.client('a-admin');
    await admin.get('/today');
  });
  afterAll(() => {
    f.close();
    dir.remove();
  });

  it('answers every form with a redirect on this server or a clear refusal, never a 500', async () => {
    const rss = process.memoryUsage().rss;
    const told = { ok: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FORMS),
        fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }),
        fc.oneof(fc.constantFrom(...REDIRECT_CORPUS), fc.string({ maxLength: 30 }), fc.constant('/workers')),
        segment,
        async (form, fields, back, param) => {
          const path = form.replace(/:(\w+)/g, () => encodeURIComponent(param));
          const response = await admin.post(path, { ...fields, back });
          expect(response.status, `${path} ${JSON.stringify(fields)}`).not.toBe(500);
          expect([200, 303, 400, 403, 404]).toContain(response.status);
          const location = response.headers.get('location');
          if (location !== null) {
            expect(staysHere(location), location).toBe(true);
          }
          if (response.status === 303) {
            // Every action says what happened, in a one-time message for the next page.
            const flash = response.headers
              .getSetCookie()
              .map((line) => /^ccg_flash=([^;]+)/.exec(line)?.[1])
              .find((found) => found !== undefined);
            expect(flash, path).toBeDefined();
            const { kind, text } = JSON.parse(Buffer.from(flash as string, 'base64url').toString()) as {
              kind: 'ok' | 'error';
              text: string;
            };
            expect(text.length).toBeGreaterThan(0);
            told[kind]++;
          }
        },
      ),
      { numRuns: 1_500, seed: 20261130 },
    );
    // Most are refused with a reason; some are changes the API took, so the fuzz reached it.
    expect(told.error).toBeGreaterThan(1_000);
    expect(told.ok).toBeGreaterThan(0);
    // Still in service: the page renders and a good change goes through.
    expect((await admin.get('/today')).status).toBe(200);
    const added = await admin.post('/workers', { workerId: '55550000000005', name: '最後 の人', back: '/workers' });
    expect(added.headers.get('location')).toBe('/workers');
    expect((await f.call(f.a.viewer, 'GET', '/api/v1/workers/55550000000005')).status).toBe(200);
    // And a good tap still becomes a record the pages show.
    f.tap(f.a.terminalId, [{ card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-24T08:01:00+09:00' }]);
    const records = (await (
      await f.call(f.a.viewer, 'GET', '/api/v1/records?from=2026-11-24&to=2026-11-24')
    ).json()) as {
      records: { workerId: string; firstIn: string | null }[];
    };
    expect(records.records).toContainEqual(expect.objectContaining({ workerId: f.a.worker }));
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
  });

  it('answers every sign-in form with a page or a redirect on this server, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ login: value, password: value, next: fc.oneof(fc.constantFrom(...REDIRECT_CORPUS), value) }),
        fc.boolean(),
        async (form, withToken) => {
          const browser = new WebClient(f.web);
          await browser.get('/signin');
          const response = await browser.request(
            'POST',
            '/signin',
            withToken ? { _csrf: browser.csrf(), ...form } : form,
          );
          expect([303, 401, 403, 429]).toContain(response.status);
          const location = response.headers.get('location');
          if (location !== null) expect(staysHere(location)).toBe(true);
        },
      ),
      { numRuns: 300, seed: 20261130 },
    );
    const browser = new WebClient(f.web, {});
    expect((await browser.signIn('a-viewer', PASSWORD)).status).not.toBe(500);
  });
});
