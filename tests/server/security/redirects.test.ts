import { localPath } from '@ccus-gate/server';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDIRECT_CORPUS } from '../../support/redirect-corpus.js';
import { freshWebFixtures, PASSWORD, WebClient, type WebFixture } from '../../support/web-client.js';

const ORIGIN = 'https://gate.example';

/** What a browser would do with the Location: it must stay on this origin. */
function staysHere(location: string): boolean {
  const cleaned = location.replace(/[\t\n\r]/g, '').replace(/\\/g, '/');
  return new URL(location, `${ORIGIN}/`).origin === ORIGIN && new URL(cleaned, `${ORIGIN}/`).origin === ORIGIN;
}

describe('redirect targets', () => {
  it.each(REDIRECT_CORPUS.map((value) => [JSON.stringify(value), value]))('refuses %s', (_, value) => {
    expect(localPath(value, '/today')).toBe('/today');
  });

  it('keeps real paths on this server, query and all', () => {
    expect(localPath('/records?site=20260000000001', '/today')).toBe('/records?site=20260000000001');
    expect(localPath('/attention#held', '/today')).toBe('/attention#held');
    expect(localPath('/workers?q=%E5%B1%B1%E7%94%B0', '/today')).toBe('/workers?q=%E5%B1%B1%E7%94%B0');
  });

  it('answers, for any string at all, a path a browser keeps on this origin, with no control characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.webUrl(),
          fc
            .constantFrom(...REDIRECT_CORPUS)
            .chain((trick) =>
              fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })).map(([a, b]) => `${a}${trick}${b}`),
            ),
        ),
        (value) => {
          const path = localPath(value, '/today');
          expect(path.startsWith('/') && !path.startsWith('//')).toBe(true);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not get through
          expect(path).not.toMatch(/[\u0000-\u001f\u007f\\]/);
          expect(staysHere(path)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('redirects after sign-in', () => {
  let f: WebFixture;
  freshWebFixtures('redirects', (fixture) => {
    f = fixture;
  });

  it('sends every trick from the corpus to the default page, signing in or already signed in, never a 500', async () => {
    const signedIn = await f.client('a-admin');
    for (const trick of REDIRECT_CORPUS) {
      const browser = new WebClient(f.web);
      await browser.get('/signin');
      const response = await browser.request('POST', '/signin', {
        _csrf: browser.csrf(),
        login: 'a-admin',
        password: PASSWORD,
        next: trick,
      });
      expect(response.status, JSON.stringify(trick)).toBe(303);
      expect(response.headers.get('location'), JSON.stringify(trick)).toBe('/today');

      const again = await signedIn.request('GET', `/signin?next=${encodeURIComponent(trick)}`);
      expect(again.status, JSON.stringify(trick)).toBe(302);
      expect(again.headers.get('location'), JSON.stringify(trick)).toBe('/today');
    }
  });
});
