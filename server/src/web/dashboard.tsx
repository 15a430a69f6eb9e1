import { ccusToday, workingDay } from '@ccus-gate/protocol';
import { type Context, Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { type DetectorOptions, detectFromCookie, detectFromHeader, detectFromQuery } from 'hono/language';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import type { Caller } from '../api/http-api.js';
import { passwordMatches } from '../credentials.js';
import { type BodyLimits, limitBodies } from '../http/body-limit.js';
import { type AddressOf, clientAddressOf } from '../http/client-address.js';
import { type SignInAttempt, SignInLimiter } from '../http/sign-in-limiter.js';
import type { Correction } from '../store/correction-store.js';
import type { DirectoryStore, RosterEntry, Site, TerminalView, User, Worker } from '../store/directory-store.js';
import type { StoredTap, UnknownCard, WorkRecord } from '../store/record-queries.js';
import type { Eventually } from '../store/repository.js';
import { ApiClient, DashboardError, describeFailure } from './api-client.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { knownDevice, setDeviceCookie } from './device-cookie.js';
import { FORMATS } from './format.js';
import { isLang, LANGS, type Lang, MESSAGES, type Messages } from './i18n.js';
import { Empty, Layout, type PageName, type View } from './layout.js';
import { type LiveSource, liveChanges } from './live.js';
import { localPath } from './local-path.js';
import { AccountsPage, type ApiTokenInfo } from './pages/accounts.js';
import { AttentionPage } from './pages/attention.js';
import { ExportsPage } from './pages/exports.js';
import { RecordsPage } from './pages/records.js';
import { SignInPage } from './pages/sign-in.js';
import { TerminalsPage } from './pages/terminals.js';
import { TodayPage } from './pages/today.js';
import { WorkersPage } from './pages/workers.js';
import {
  clearSessionCookie,
  csrfOf,
  issueSignInToken,
  SESSION_LIFETIME_MS,
  sessionToken,
  setFlash,
  setSessionCookie,
  signInTokenMatches,
  takeFlash,
  tokensEqual,
  type WebSession,
} from './session.js';
import { zonedInstant } from './zoned-time.js';

export interface DashboardDeps {
  /** The HTTP API, which the dashboard calls in-process as the signed-in user. */
  api: Hono;
  directory: Eventually<DirectoryStore>;
  /** The server's events: a new batch, a terminal's status, records built. */
  events: LiveSource;
  now: () => Date;
  /** Shared with the API: one budget of failed sign-ins. */
  limiter?: SignInLimiter;
  /** The client's address (trusted proxies applied); the socket's peer by default. */
  addressOf?: AddressOf;
  log?: Logger;
}

export interface Dashboard {
  readonly app: Hono;
  /** Ends the live streams, so the HTTP server can close. */
  close(): void;
}

interface Signed {
  session: WebSession;
  api: ApiClient;
  view: View;
}

const LANG_COOKIE = 'ccg_lang';
/** Compared against when a login does not exist, so a wrong login costs as long as a wrong password. */
const NO_SUCH_USER = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

/** Hono's language detectors, each asked on its own so that only an explicit choice is remembered. */
const LANGUAGE: DetectorOptions = {
  order: ['querystring', 'cookie', 'header'],
  lookupQueryString: 'lang',
  lookupCookie: LANG_COOKIE,
  lookupFromPathIndex: 0,
  lookupFromHeaderKey: 'accept-language',
  caches: false,
  ignoreCase: true,
  fallbackLanguage: 'ja',
  supportedLanguages: [...LANGS],
};

/** The language: asked for in the query (and remembered), remembered, or the browser's preference. */
function languageOf(c: Context): Lang {
  const asked = detectFromQuery(c, LANGUAGE);
  if (isLang(asked)) {
    setCookie(c, LANG_COOKIE, asked, { path: '/', sameSite: 'Lax', maxAge: 365 * 24 * 3600 });
    return asked;
  }
  const known = detectFromCookie(c, LANGUAGE) ?? detectFromHeader(c, LANGUAGE);
  return isLang(known) ? known : 'ja';
}

/** The month (YYYY-MM) of a day. */
const monthOf = (day: string): string => day.slice(0, 7);

/** Held records shown with their taps on "needs a person"; the rest wait for the next visit. */
const HELD_SHOWN = 50;

const dayBefore = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

/**
 * The contractors' dashboard: server-rendered pages over the HTTP API, signed in with a
 * tenant user's login and password, in Japanese or English.
 */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const { directory, now } = deps;
  const limiter = deps.limiter ?? new SignInLimiter();
  const addressOf = deps.addressOf ?? clientAddressOf();
  const live = liveChanges(deps.events, directory);
  const app = new Hono();

  app.use('*', secureHeaders({ contentSecurityPolicy: CSP, referrerPolicy: 'same-origin' }));
  app.use('*', async (c, next) => {
    await next();
    // Pages carry names and the CSRF token: never keep them in a shared cache.
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });

  app.get('/assets/dashboard.css', (c) =>
    c.body(DASHBOARD_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }),
  );
  app.get('/assets/dashboard.js', (c) =>
    c.body(DASHBOARD_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'max-age=300',
    }),
  );

  const document = (page: JSX.Element) => html`<!DOCTYPE html>${page}`;

  // ---- signing in and out -------------------------------------------------------------

  const signInPage = (c: Context, status: 200 | 401 | 403 | 429, error: string | null, login = '') => {
    const lang = languageOf(c);
    const next = localPath(c.req.query('next'), '/today');
    return c.html(
      document(
        <SignInPage
          lang={lang}
          t={MESSAGES[lang]}
          token={issueSignInToken(c)}
          next={next}
          error={error}
          login={login}
        />,
      ),
      status,
    );
  };

  app.get('/signin', async (c) => {
    const token = sessionToken(c);
    // Already signed in: straight on, rather than a second session.
    if (token !== undefined && (await directory.session(token)) !== null) {
      return c.redirect(localPath(c.req.query('next'), '/today'), 302);
    }
    return signInPage(c, 200, null);
  });

  app.post('/signin', async (c) => {
    const t = MESSAGES[languageOf(c)];
    const form = await c.req.parseBody();
    const login = typeof form.login === 'string' ? form.login.trim().slice(0, 200) : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const user = login === '' ? null : await directory.userForSignIn(login);
    const attempt: SignInAttempt = { address: addressOf(c) };
    // Logins are case-insensitive: "A-Admin" must not get a budget of its own.
    const account = user?.login ?? login.toLowerCase();
    if (login !== '') attempt.account = account;
    const device = knownDevice(c, account, user?.passwordHash ?? null);
    if (device !== undefined) attempt.device = device;
    if (limiter.blockedFor(attempt) > 0) return signInPage(c, 429, t.signInBlocked, login);
    if (!signInTokenMatches(c, form._csrf)) return signInPage(c, 403, t.signInExpired, login);
    const matches = await passwordMatches(password, user?.passwordHash ?? NO_SUCH_USER);
    if (user === null || !matches) {
      limiter.fail(attempt);
      deps.log?.info(
        { login, address: attempt.address, knownDevice: device !== undefined },
        'dashboard sign-in refused',
      );
      return signInPage(c, 401, t.signInFailed, login);
    }
    limiter.succeeded(attempt);
    const { token } = await directory.createSession(user.userId, SESSION_LIFETIME_MS);
    setSessionCookie(c, token);
    setDeviceCookie(c, user.login, user.passwordHash);
    deps.log?.info({ login: user.login, tenantId: user.tenantId }, 'dashboard sign-in');
    return c.redirect(localPath(form.next, '/today'), 303);
  });

  app.post('/signout', async (c) => {
    const token = sessionToken(c);
    const session = token === undefined ? null : await directory.session(token);
    const form = await c.req.parseBody();
    if (token !== undefined && session !== null && tokensEqual(form._csrf, csrfOf(token))) {
      await directory.endSession(token);
    }
    clearSessionCookie(c);
    return c.redirect('/signin', 303);
  });

  // ---- the signed-in pages ------------------------------------------------------------

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
        scope: { tenantId: user.tenantId, companyId: user.companyId },
      };
      const session: WebSession = { user, csrf, token };
      const view: View = {
        lang,
        t: MESSAGES[lang],
        f: FORMATS[lang],
        user: { name: user.name, login: user.login, role: user.role, tenantName: user.tenantName },
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
  const render = (c: Context, s: Signed, page: PageName, title: string, body: JSX.Element, liveUrl?: string) =>
    c.req.header('x-partial') === 'main'
      ? c.html(body)
      : c.html(
          document(
            <Layout view={s.view} page={page} title={title} {...(liveUrl === undefined ? {} : { live: liveUrl })}>
              {body}
            </Layout>,
          ),
        );

  const sitesOf = async (s: Signed): Promise<Site[]> => (await s.api.get<{ sites: Site[] }>('/api/v1/sites')).sites;
  /** The site the page asks for, or the first the tenant sees; a site it cannot see is not found. */
  const pickSite = (sites: Site[], asked: string | undefined): Site | null => {
    if (asked === undefined || asked === '') return sites[0] ?? null;
    const site = sites.find((candidate) => candidate.siteId === asked);
    if (site === undefined) throw new DashboardError(404, `no site ${asked}`, 'siteId');
    return site;
  };
  const workersOf = async (s: Signed): Promise<Worker[]> => s.api.all<Worker>('/api/v1/workers', 'workers');
  const namesOf = (workers: Worker[], roster: RosterEntry[] = []): Map<string, string> =>
    new Map([...workers, ...roster].map((worker) => [worker.workerId, worker.name]));
  const noSites = (c: Context, s: Signed, page: PageName) =>
    render(c, s, page, s.view.t.pages[page], <Empty>{s.view.t.noSites}</Empty>);
  const siteDay = (site: Site): string => workingDay(now(), { timeZone: site.timeZone, dayBoundary: site.dayBoundary });

  /** A day's taps at a site, newest first, page by page: a big gate sees more than one page. */
  const todaysTaps = async (s: Signed, siteId: string, day: string): Promise<StoredTap[]> => {
    const taps: StoredTap[] = [];
    for (let offset = 0; offset < 50_000; offset += 1000) {
      const page = await s.api.get<{ taps: StoredTap[] }>('/api/v1/taps', {
        siteId,
        from: day,
        to: day,
        limit: 1000,
        offset,
      });
      taps.push(...page.taps);
      if (page.taps.length < 1000) break;
    }
    return taps;
  };

  app.get('/', (c) => c.redirect('/today', 302));

  app.get(
    '/today',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'today');
      const day = siteDay(site);
      const [taps, roster, workers, earlier] = await Promise.all([
        todaysTaps(s, site.siteId, day),
        s.api.all<RosterEntry>(`/api/v1/sites/${site.siteId}/roster`, 'roster').then((roster) => ({ roster })),
        workersOf(s),
        s.api.get<{ records: WorkRecord[] }>('/api/v1/records', {
          siteId: site.siteId,
          from: dayBefore(day, 14),
          to: dayBefore(day, 1),
          limit: 1000,
        }),
      ]);
      const data = {
        sites,
        site,
        day,
        taps,
        onRoster: new Set(roster.roster.map((entry) => entry.workerId)),
        names: namesOf(workers, roster.roster),
        missedExits: earlier.records.filter((record) => record.flags.includes('no_exit')),
      };
      return render(
        c,
        s,
        'today',
        s.view.t.pages.today,
        <TodayPage view={s.view} data={data} />,
        `/live?view=today&site=${encodeURIComponent(site.siteId)}`,
      );
    }),
  );

  app.get(
    '/terminals',
    signedIn(async (c, s) => {
      const [terminals, sites] = await Promise.all([
        s.api.get<{ terminals: TerminalView[] }>('/api/v1/terminals'),
        sitesOf(s),
      ]);
      return render(
        c,
        s,
        'terminals',
        s.view.t.pages.terminals,
        <TerminalsPage view={s.view} terminals={terminals.terminals} sites={sites} />,
        '/live?view=terminals',
      );
    }),
  );

  app.get(
    '/records',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'records');
      const asked = c.req.query('month');
      const month = asked !== undefined && /^\d{4}-(0[1-9]|1[0-2])$/.test(asked) ? asked : monthOf(siteDay(site));
      const [records, atRisk, workers, roster] = await Promise.all([
        s.api.get<{ records: WorkRecord[] }>('/api/v1/records', { siteId: site.siteId, month, limit: 1000 }),
        s.api.get<{ today: string; records: WorkRecord[] }>('/api/v1/records/at-risk', { siteId: site.siteId }),
        workersOf(s),
        s.api.all<RosterEntry>(`/api/v1/sites/${site.siteId}/roster`, 'roster').then((roster) => ({ roster })),
      ]);
      return render(
        c,
        s,
        'records',
        s.view.t.pages.records,
        <RecordsPage
          view={s.view}
          sites={sites}
          site={site}
          month={month}
          today={atRisk.today}
          records={records.records}
          atRisk={atRisk.records}
          names={namesOf(workers, roster.roster)}
        />,
      );
    }),
  );

  app.get(
    '/attention',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'attention');
      const today = siteDay(site);
      const [unknown, approvals, recent, refused, held, workers] = await Promise.all([
        s.api.get<{ unknownCards: UnknownCard[] }>('/api/v1/unknown-cards', { siteId: site.siteId }),
        s.api.get<{ approvals: Correction[] }>('/api/v1/approvals'),
        // CCUS takes input until the end of the month after the working day: older misses cannot be fixed.
        s.api.get<{ records: WorkRecord[] }>('/api/v1/records', {
          siteId: site.siteId,
          from: `${monthOf(dayBefore(`${monthOf(today)}-01`, 1))}-01`,
          to: dayBefore(today, 1),
          limit: 1000,
        }),
        s.api.get<{ records: WorkRecord[] }>('/api/v1/records', { siteId: site.siteId, state: 'refused', limit: 1000 }),
        s.api.get<{ records: WorkRecord[] }>('/api/v1/records', { siteId: site.siteId, state: 'held', limit: 1000 }),
        workersOf(s),
      ]);
      // Held records with their taps, so a person can void one or say when it really was.
      const heldShown = held.records.slice(0, HELD_SHOWN);
      const heldTaps = await Promise.all(
        heldShown.map((record) =>
          s.api
            .get<{ taps: StoredTap[] }>(
              `/api/v1/records/${record.siteId}/${record.workerId}/${encodeURIComponent(record.workingDay)}/taps`,
            )
            .then((answer) => answer.taps),
        ),
      );
      const data = {
        sites,
        site,
        today,
        unknownCards: unknown.unknownCards,
        approvals: approvals.approvals.filter((correction) => correction.siteId === site.siteId),
        missedExits: recent.records.filter(
          (record) =>
            (record.flags.includes('no_exit') || record.flags.includes('back_on_site')) &&
            record.ccus?.state !== 'held',
        ),
        refused: refused.records,
        held: heldShown.map((record, i) => ({ record, taps: heldTaps[i] ?? [] })),
        heldMore: held.records.length - heldShown.length,
        // Shown, not held: what a person may still want to look at.
        flagged: recent.records.filter(
          (record) =>
            record.ccus?.state !== 'held' &&
            record.flags.some((flag) => ['no_entry', 'clock_corrected', 'clock_jumped', 'withdrawn'].includes(flag)),
        ),
        workers,
        names: namesOf(workers),
      };
      return render(c, s, 'attention', s.view.t.pages.attention, <AttentionPage view={s.view} data={data} />);
    }),
  );

  app.get(
    '/workers',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'workers');
      const [workers, roster] = await Promise.all([
        workersOf(s),
        s.api.all<RosterEntry>(`/api/v1/sites/${site.siteId}/roster`, 'roster').then((roster) => ({ roster })),
      ]);
      return render(
        c,
        s,
        'workers',
        s.view.t.pages.workers,
        <WorkersPage view={s.view} sites={sites} site={site} workers={workers} roster={roster.roster} />,
      );
    }),
  );

  app.get(
    '/exports',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const month = monthOf(ccusToday(now()));
      return render(c, s, 'exports', s.view.t.pages.exports, <ExportsPage view={s.view} sites={sites} month={month} />);
    }),
  );

  for (const [file, path] of [
    ['kentaikyo.csv', '/api/v1/exports/kentaikyo'],
    ['records.csv', '/api/v1/exports/records'],
  ] as const) {
    app.get(
      `/exports/${file}`,
      signedIn(async (c, s) => {
        // A site the user cannot see is not found, rather than an empty file.
        if ((c.req.query('site') ?? '') !== '') pickSite(await sitesOf(s), c.req.query('site'));
        const response = await s.api.download(path, {
          month: c.req.query('month'),
          siteId: c.req.query('site'),
          encoding: c.req.query('encoding'),
          // Column names in the reader's language (the 建退共 calendar's are Japanese either way).
          ...(file === 'records.csv' ? { headers: s.view.lang } : {}),
        });
        return new Response(response.body, {
          headers: {
            'content-type': response.headers.get('content-type') ?? 'text/csv',
            'content-disposition': response.headers.get('content-disposition') ?? `attachment; filename="${file}"`,
            'cache-control': 'no-store',
          },
        });
      }),
    );
  }

  // ---- live pages ---------------------------------------------------------------------

  app.get(
    '/live',
    signedIn(async (c, s) => {
      const view = c.req.query('view');
      if (view === 'today') {
        const site = pickSite(await sitesOf(s), c.req.query('site'));
        if (site === null) throw new DashboardError(404, 'no site');
        return live.stream(c, { siteId: site.siteId });
      }
      if (view === 'terminals') return live.stream(c, { tenantId: s.session.user.tenantId });
      throw new DashboardError(400, 'view must be today or terminals');
    }),
  );

  // ---- actions: each one API call as the signed-in user, then back to the page --------

  const form = async (c: Context): Promise<Record<string, string>> => {
    const body = await c.req.parseBody();
    const fields: Record<string, string> = {};
    // A password is taken as typed: spaces at its ends are part of it.
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string') fields[key] = key === 'password' ? value : value.trim();
    }
    return fields;
  };
  const optional = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

  /** Does one change through the API, then returns to the page with what happened. */
  const action = (
    path: string,
    change: (
      fields: Record<string, string>,
      c: Context,
      s: Signed,
    ) => Promise<{ method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; body?: unknown }>,
    done: (t: Messages, data: Record<string, unknown>) => string,
  ): void => {
    app.post(
      path,
      signedIn(async (c, s) => {
        const fields = await form(c);
        const back = localPath(fields.back, '/today');
        const { t } = s.view;
        if (s.session.user.role !== 'admin') {
          setFlash(c, 'error', t.forbidden);
          return c.redirect(back, 303);
        }
        const request = await change(fields, c, s).catch((error: unknown) => {
          if (error instanceof DashboardError) return error;
          throw error;
        });
        const sent =
          request instanceof DashboardError
            ? ({ ok: false, error: request } as const)
            : await s.api.send(request.method, request.path, request.body);
        if (sent.ok) setFlash(c, 'ok', done(t, sent.data));
        else setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
        return c.redirect(back, 303);
      }),
    );
  };

  /** The site a form names, as the user sees it (with its time zone for times typed in). */
  const formSite = async (s: Signed, siteId: string | undefined): Promise<Site> => {
    const site = pickSite(await sitesOf(s), siteId ?? '');
    if (site === null) throw new DashboardError(400, 'choose a site', 'siteId', (t) => t.chooseSite);
    return site;
  };
  const enc = encodeURIComponent;
  /** A time typed in a form that is not HH:MM, refused before the API is asked. */
  const notTime = (field: 'firstIn' | 'lastOut' | 'at'): DashboardError =>
    new DashboardError(400, `${field} must be HH:MM`, field, (t) => t.timeFormat(t.fields[field] ?? field));
  /** 00:00 to 23:59, as a clock shows it. */
  const isWallTime = (value: string): boolean => /^([01]\d|2[0-3]):[0-5]\d$/.test(value);
  /** A day typed in a form: YYYY-MM-DD and on the calendar (not 2026-02-30), or a refusal naming the field. */
  const formDay = (value: string | undefined, field: 'workingDay' | 'at', label: (t: Messages) => string): string => {
    const day = value ?? '';
    const parsed = /^\d{4}-\d{2}-\d{2}$/.test(day) ? new Date(`${day}T00:00:00Z`) : null;
    if (parsed === null || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) {
      throw new DashboardError(400, `${field} must be a day as YYYY-MM-DD`, field, (t) => t.dateFormat(label(t)));
    }
    return day;
  };

  action(
    '/terminals/:terminalId/selftest',
    async (_fields, c) => ({
      method: 'POST',
      path: `/api/v1/terminals/${enc(c.req.param('terminalId') ?? '')}/commands`,
      body: { command: 'selftest' },
    }),
    (t) => t.selftestSent,
  );

  action(
    '/attention/bind',
    async (fields) => ({
      method: 'POST',
      path: `/api/v1/workers/${enc(fields.workerId ?? '')}/cards`,
      body: {
        card: fields.card,
        ...(optional(fields.tech) === undefined ? {} : { tech: fields.tech }),
        reason: optional(fields.reason) ?? 'unknown card bound on the dashboard',
      },
    }),
    (t, data) => t.cardBound(String(data.resolvedTaps ?? 0)),
  );

  action(
    '/attention/exit',
    async (fields, _c, s) => {
      const site = await formSite(s, fields.site);
      const day = formDay(fields.workingDay, 'workingDay', (t) => t.fields.workingDay ?? 'workingDay');
      // The exit, the entry, or both (an exit with no entry, a long shift to put right).
      const entry = optional(fields.entry);
      const exit = entry === undefined ? (fields.time ?? '') : optional(fields.time);
      if (entry !== undefined && !isWallTime(entry)) throw notTime('firstIn');
      if (exit !== undefined && !isWallTime(exit)) throw notTime('lastOut');
      const firstIn = entry === undefined ? optional(fields.firstIn) : zonedInstant(day, entry, site);
      let lastOut = exit === undefined ? null : zonedInstant(day, exit, site);
      // A night shift's exit: a time before the entry is the next morning's.
      if (
        exit !== undefined &&
        lastOut !== null &&
        firstIn !== undefined &&
        Date.parse(lastOut) <= Date.parse(firstIn)
      ) {
        lastOut = zonedInstant(dayBefore(day, -1), exit, site);
      }
      return {
        method: 'POST',
        path: '/api/v1/corrections',
        body: {
          kind: 'set_times',
          siteId: site.siteId,
          workerId: fields.workerId,
          workingDay: day,
          ...(entry === undefined ? {} : { firstIn }),
          ...(lastOut === null ? {} : { lastOut }),
          reason: fields.reason,
        },
      };
    },
    (t, data) =>
      (data.correction as { state?: string } | undefined)?.state === 'awaiting_approval'
        ? t.dayAwaitingApproval
        : t.exitFilled,
  );

  action(
    '/attention/void-tap',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/corrections',
      body: { kind: 'void_tap', terminalId: fields.terminalId, seq: Number(fields.seq), reason: fields.reason },
    }),
    (t) => t.tapVoided,
  );

  action(
    '/attention/tap-time',
    async (fields, _c, s) => {
      const site = await formSite(s, fields.site);
      const day = formDay(fields.day, 'at', (t) => t.reallyAt);
      if (!isWallTime(fields.time ?? '')) throw notTime('at');
      // The calendar day and time as the person read them off a clock at the site.
      return {
        method: 'POST',
        path: '/api/v1/corrections',
        body: {
          kind: 'set_tap_time',
          terminalId: fields.terminalId,
          seq: Number(fields.seq),
          at: zonedInstant(day, fields.time ?? '', { timeZone: site.timeZone, dayBoundary: '00:00' }),
          reason: fields.reason,
        },
      };
    },
    (t) => t.tapTimeSet,
  );

  action(
    '/attention/add-day',
    async (fields, _c, s) => {
      const site = await formSite(s, fields.site);
      const day = formDay(fields.workingDay, 'workingDay', (t) => t.fields.workingDay ?? 'workingDay');
      if (!isWallTime(fields.firstIn ?? '')) throw notTime('firstIn');
      const lastOut = optional(fields.lastOut);
      if (lastOut !== undefined && !isWallTime(lastOut)) throw notTime('lastOut');
      return {
        method: 'POST',
        path: '/api/v1/corrections',
        body: {
          kind: 'add_day',
          siteId: site.siteId,
          workerId: fields.workerId,
          workingDay: day,
          firstIn: zonedInstant(day, fields.firstIn ?? '', site),
          lastOut: lastOut === undefined ? null : zonedInstant(day, lastOut, site),
          reason: fields.reason,
        },
      };
    },
    (t, data) =>
      (data.correction as { state?: string } | undefined)?.state === 'awaiting_approval'
        ? t.dayAwaitingApproval
        : t.dayAdded,
  );

  action(
    '/attention/confirm-clock',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/corrections',
      body: {
        kind: 'confirm_clock',
        siteId: fields.site,
        workerId: fields.workerId,
        workingDay: fields.workingDay,
        reason: fields.reason,
      },
    }),
    (t) => t.clockConfirmed,
  );

  action(
    '/attention/corrections/:id/approve',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/corrections/${enc(c.req.param('id') ?? '')}/approve`,
      body: optional(fields.reason) === undefined ? {} : { reason: fields.reason },
    }),
    (t) => t.approved,
  );

  action(
    '/attention/corrections/:id/reject',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/corrections/${enc(c.req.param('id') ?? '')}/reject`,
      body: { reason: fields.reason },
    }),
    (t) => t.rejected,
  );

  action(
    '/records/retry',
    async (fields) => ({
      method: 'POST',
      path: `/api/v1/records/${enc(fields.site ?? '')}/${enc(fields.workerId ?? '')}/${enc(fields.workingDay ?? '')}/retry`,
    }),
    (t) => t.retried,
  );

  action(
    '/workers',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/workers',
      body: {
        workerId: fields.workerId,
        name: fields.name,
        // Up to four registered trades, separated as a person types them.
        ...(optional(fields.trades) === undefined
          ? {}
          : {
              trades: (fields.trades ?? '')
                .split(/[,、，]/)
                .map((trade) => trade.trim())
                .filter((trade) => trade !== ''),
            }),
        ...(optional(fields.position) === undefined ? {} : { position: fields.position }),
      },
    }),
    (t) => t.saved,
  );

  action(
    '/workers/:workerId/remove',
    async (_fields, c) => ({ method: 'DELETE', path: `/api/v1/workers/${enc(c.req.param('workerId') ?? '')}` }),
    (t) => t.saved,
  );

  action(
    '/workers/:workerId/cards',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/workers/${enc(c.req.param('workerId') ?? '')}/cards`,
      body: { card: fields.card, ...(optional(fields.tech) === undefined ? {} : { tech: fields.tech }) },
    }),
    (t, data) => t.cardBound(String(data.resolvedTaps ?? 0)),
  );

  action(
    '/cards/remove',
    async (fields) => ({ method: 'DELETE', path: `/api/v1/cards/${enc(fields.tech ?? '')}/${enc(fields.card ?? '')}` }),
    (t) => t.saved,
  );

  action(
    '/roster/add',
    async (fields) => ({
      method: 'PUT',
      path: `/api/v1/sites/${enc(fields.site ?? '')}/roster/${enc(fields.workerId ?? '')}`,
      body: {
        ...(optional(fields.trade) === undefined ? {} : { trade: fields.trade }),
        ...(optional(fields.position) === undefined ? {} : { position: fields.position }),
        ...(optional(fields.workContent) === undefined ? {} : { workContent: fields.workContent }),
        ...(optional(fields.periodFrom) === undefined ? {} : { periodFrom: fields.periodFrom }),
        ...(optional(fields.periodUntil) === undefined ? {} : { periodUntil: fields.periodUntil }),
      },
    }),
    (t) => t.saved,
  );

  action(
    '/roster/remove',
    async (fields) => ({
      method: 'DELETE',
      path: `/api/v1/sites/${enc(fields.site ?? '')}/roster/${enc(fields.workerId ?? '')}`,
    }),
    (t) => t.saved,
  );

  // ---- accounts: who signs in, and the API tokens of other systems -------------------

  const accountsPage = async (c: Context, s: Signed, created?: { label: string; token: string }) => {
    const [users, tokens] = await Promise.all([
      s.api.get<{ users: User[] }>('/api/v1/users'),
      s.api.get<{ tokens: ApiTokenInfo[] }>('/api/v1/tokens'),
    ]);
    // After making a token the page answers a POST: its forms and language link go back to /accounts.
    const view = { ...s.view, here: '/accounts' };
    return render(
      c,
      { ...s, view },
      'accounts',
      view.t.pages.accounts,
      <AccountsPage view={view} users={users.users} tokens={tokens.tokens} created={created} />,
    );
  };

  app.get(
    '/accounts',
    signedIn((c, s) => accountsPage(c, s)),
  );

  action(
    '/accounts/users',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/users',
      body: { login: fields.login, name: fields.name, role: fields.role, password: fields.password },
    }),
    (t, data) => t.userAdded(String((data.user as { login?: string } | undefined)?.login ?? '')),
  );

  action(
    '/accounts/users/:userId/remove',
    async (_fields, c) => ({ method: 'DELETE', path: `/api/v1/users/${enc(c.req.param('userId') ?? '')}` }),
    (t) => t.saved,
  );

  action(
    '/accounts/tokens/:id/revoke',
    async (_fields, c) => ({ method: 'DELETE', path: `/api/v1/tokens/${enc(c.req.param('id') ?? '')}` }),
    (t) => t.saved,
  );

  // Not an action: the new token is shown on the page this once, never put in a cookie.
  app.post(
    '/accounts/tokens',
    signedIn(async (c, s) => {
      const fields = await form(c);
      const { t } = s.view;
      if (s.session.user.role !== 'admin') {
        setFlash(c, 'error', t.forbidden);
        return c.redirect('/accounts', 303);
      }
      const sent = await s.api.send('POST', '/api/v1/tokens', { role: fields.role, label: fields.label });
      if (!sent.ok) {
        setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
        return c.redirect('/accounts', 303);
      }
      c.header('cache-control', 'no-store');
      return accountsPage(c, s, { label: String(sent.data.label ?? ''), token: String(sent.data.token ?? '') });
    }),
  );

  return { app, close: () => live.close() };
}

/** One HTTP app: the API under /api (and /healthz), the dashboard for everything else. */
export function withDashboard(api: Hono, dashboard: Dashboard, bodyLimits?: BodyLimits): Hono {
  const app = new Hono();
  // First of all, for every route: the API's and the dashboard's forms alike.
  app.use('*', limitBodies(bodyLimits));
  app.all('/api/*', (c) => api.fetch(c.req.raw, c.env));
  app.get('/healthz', (c) => api.fetch(c.req.raw, c.env));
  app.route('/', dashboard.app);
  return app;
}
