import { workingDay } from '@ccus-gate/protocol';
import type { Context, Hono } from 'hono';
import type { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { Caller } from '../api/http-api.js';
import type { AddressOf } from '../http/client-address.js';
import type { SignInLimiter } from '../http/sign-in-limiter.js';
import type { RosterEntry, Site, Worker } from '../store/directory-store.js';
import type { StoredTap } from '../store/record-queries.js';
import { ApiClient, DashboardError, describeFailure } from './api-client.js';
import type { DashboardDeps } from './dashboard.js';
import { FORMATS } from './format.js';
import { type Lang, MESSAGES } from './i18n.js';
import { Empty, Layout, type PageName, type View } from './layout.js';
import type { liveChanges } from './live.js';
import { clearSessionCookie, csrfOf, sessionToken, takeFlash, tokensEqual, type WebSession } from './session.js';

/** What a signed-in page or action is handed: the session, the API as that user, the words and formats. */
export interface Signed {
  session: WebSession;
  api: ApiClient;
  view: View;
}

/** The month (YYYY-MM) of a day. */
export const monthOf = (day: string): string => day.slice(0, 7);

/** Held records shown with their taps on "needs a person"; the rest wait for the next visit. */
export const HELD_SHOWN = 50;

export const dayBefore = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

/**
 * What every signed-in page and action of the dashboard is built with (routes/*.tsx): the
 * session check with its CSRF token, rendering, and the lookups pages share.
 */
export function pageKit(
  app: Hono,
  deps: DashboardDeps,
  live: ReturnType<typeof liveChanges>,
  document: (page: JSX.Element) => ReturnType<typeof html>,
  languageOf: (c: Context) => Lang,
  signIns: { limiter: SignInLimiter; addressOf: AddressOf },
) {
  const { directory, now } = deps;

  /** Runs the handler for a signed-in user with a checked CSRF token on every change. */
  const signedIn =
    (handler: (c: Context, s: Signed) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const token = sessionToken(c);
      const found = token === undefined ? null : await directory.session(token);
      const here = new URL(c.req.url);
      here.searchParams.delete('lang');
      const path = `${here.pathname}${here.search}`;
      if (token === undefined || found === null) {
        if (token !== undefined) clearSessionCookie(c);
        if (c.req.method !== 'GET') return c.redirect('/signin', 303);
        return c.redirect(`/signin?next=${encodeURIComponent(path)}`, 302);
      }
      const lang = languageOf(c);
      if (c.req.method === 'POST') {
        const form = await c.req.parseBody();
        if (!tokensEqual(form._csrf, csrfOf(token))) {
          return c.text(`${MESSAGES[lang].signInExpired}`, 403);
        }
      }
      const user = found;
      const csrf = csrfOf(token);
      const caller: Caller = {
        role: user.role,
        label: `${user.name} (${user.login})`,
        scope: { tenantId: user.tenantId, companyId: user.companyId, sites: user.sites },
      };
      const session: WebSession = { user, csrf, token };
      const view: View = {
        lang,
        t: MESSAGES[lang],
        f: FORMATS[lang],
        user: { name: user.name, login: user.login, role: user.role, tenantName: user.tenantName, sites: user.sites },
        csrf,
        here: path,
        flash: c.req.method === 'GET' && c.req.header('x-partial') === undefined ? takeFlash(c) : null,
      };
      try {
        return await handler(c, { session, api: new ApiClient(deps.api, caller), view });
      } catch (error) {
        if (!(error instanceof DashboardError)) throw error;
        const status = [400, 403, 404, 422].includes(error.status) ? (error.status as 400 | 403 | 404 | 422) : 500;
        if (status === 500) deps.log?.error({ err: error }, 'dashboard page failed');
        return c.html(
          document(
            <Layout view={view} page={null} title={view.t.errorTitle}>
              <h1>{view.t.errorTitle}</h1>
              <p class="flash error" role="alert">
                {describeFailure(view.t, error)}
              </p>
            </Layout>,
          ),
          status,
        );
      }
    };

  /** A whole page, or only its content when the live script asks for a refresh. */
  const render = (c: Context, s: Signed, page: PageName | null, title: string, body: JSX.Element, liveUrl?: string) =>
    c.req.header('x-partial') === 'main'
      ? c.html(body)
      : c.html(
          document(
            <Layout view={s.view} page={page} title={title} {...(liveUrl === undefined ? {} : { live: liveUrl })}>
              {body}
            </Layout>,
          ),
        );

  const sitesOf = async (s: Signed): Promise<Site[]> => s.api.all('sites', (query) => s.api.v1.sites.$get({ query }));
  /** The site the page asks for, or the first the tenant sees; a site it cannot see is not found. */
  const pickSite = (sites: Site[], asked: string | undefined): Site | null => {
    if (asked === undefined || asked === '') return sites[0] ?? null;
    const site = sites.find((candidate) => candidate.siteId === asked);
    if (site === undefined) throw new DashboardError(404, `no site ${asked}`, 'siteId');
    return site;
  };
  const workersOf = async (s: Signed): Promise<Worker[]> =>
    s.api.all('workers', (query) => s.api.v1.workers.$get({ query }));
  const rosterOf = async (s: Signed, siteId: string): Promise<RosterEntry[]> =>
    s.api.all('roster', (query) => s.api.v1.sites[':siteId'].roster.$get({ param: { siteId }, query }));
  const namesOf = (workers: Worker[], roster: RosterEntry[] = []): Map<string, string> =>
    new Map([...workers, ...roster].map((worker) => [worker.workerId, worker.name]));
  const noSites = (c: Context, s: Signed, page: PageName) =>
    render(c, s, page, s.view.t.pages[page], <Empty>{s.view.t.noSites}</Empty>);
  const siteDay = (site: Site): string => workingDay(now(), { timeZone: site.timeZone, dayBoundary: site.dayBoundary });

  /** A day's taps at a site, newest first, page by page: a big gate sees more than one page. */
  const todaysTaps = async (s: Signed, siteId: string, day: string): Promise<StoredTap[]> => {
    const taps: StoredTap[] = [];
    for (let offset = 0; offset < 50_000; offset += 1000) {
      const page = await s.api.read(s.api.v1.taps.$get({ query: { siteId, from: day, to: day, limit: 1000, offset } }));
      taps.push(...page.taps);
      if (page.taps.length < 1000) break;
    }
    return taps;
  };

  return {
    app,
    deps,
    ...signIns,
    now,
    live,
    document,
    signedIn,
    render,
    sitesOf,
    pickSite,
    workersOf,
    rosterOf,
    namesOf,
    noSites,
    siteDay,
    todaysTaps,
  };
}

export type PageKit = ReturnType<typeof pageKit>;
