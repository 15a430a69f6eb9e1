import { type Context, Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { type DetectorOptions, detectFromCookie, detectFromHeader, detectFromQuery } from 'hono/language';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import { passwordMatches } from '../credentials.js';
import { type BodyLimits, limitBodies } from '../http/body-limit.js';
import { type AddressOf, clientAddressOf, type HttpsOf, httpsOf } from '../http/client-address.js';
import { type SignInAttempt, SignInLimiter } from '../http/sign-in-limiter.js';
import type { DirectoryStore } from '../store/directory-store.js';
import type { Eventually } from '../store/server-stores.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { knownDevice, setDeviceCookie } from './device-cookie.js';
import { isLang, LANGS, type Lang, MESSAGES } from './i18n.js';
import { type LiveSource, liveChanges } from './live.js';
import { localPath } from './local-path.js';
import { pageKit } from './page-kit.js';
import { SignInPage } from './pages/sign-in.js';
import { accountRoutes } from './routes/account-routes.js';
import { actionRoutes } from './routes/action-routes.js';
import { alertMailRoutes } from './routes/alert-mail-routes.js';
import { ccusRoutes } from './routes/ccus-routes.js';
import { fleetRoutes } from './routes/fleet-routes.js';
import { pageRoutes } from './routes/page-routes.js';
import { workerImportRoutes } from './routes/worker-import-routes.js';
import { workerLinkRoutes } from './routes/worker-link-routes.js';
import {
  clearSessionCookie,
  csrfOf,
  issueSignInToken,
  SESSION_LIFETIME_MS,
  sessionToken,
  setSessionCookie,
  signInTokenMatches,
  tokensEqual,
} from './session.js';
import { codeStep } from './two-factor.js';

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
  /** Whether the browser's connection is HTTPS (trusted proxies applied); our own socket's by default. */
  httpsOf?: HttpsOf;
  log?: Logger;
}

export interface Dashboard {
  readonly app: Hono;
  /** Ends the live streams, so the HTTP server can close. */
  close(): void;
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

/**
 * The contractors' dashboard: server-rendered pages over the HTTP API, signed in with a
 * tenant user's login and password, in Japanese or English.
 */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const { directory } = deps;
  const limiter = deps.limiter ?? new SignInLimiter();
  const addressOf = deps.addressOf ?? clientAddressOf();
  const live = liveChanges(deps.events, directory);
  const app = new Hono();
  const isHttps = deps.httpsOf ?? httpsOf();
  app.use('*', async (c, next) => {
    c.set('https', isHttps(c));
    await next();
  });

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

  const signInPage = (c: Context, status: 200 | 401 | 403 | 429, error: string | null, login = '', askCode = false) => {
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
          askCode={askCode}
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
    if (user.totpSecret !== null) {
      // The password was right; the second factor decides. A wrong or reused code counts as a failure.
      const code = typeof form.code === 'string' ? form.code : '';
      if (code.trim() === '') return signInPage(c, 401, t.account.codeNeeded, login, true);
      const step = codeStep(user.totpSecret, code, deps.now());
      if (step === null || !(await directory.useTotpStep(user.userId, step))) {
        limiter.fail(attempt);
        deps.log?.info({ login, address: attempt.address }, 'dashboard sign-in refused: second factor');
        return signInPage(c, 401, t.account.codeWrong, login, true);
      }
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

  // The fleet operator's pages first: /fleet is theirs, not a tenant user's.
  fleetRoutes(app, deps, document, languageOf, { limiter, addressOf });
  const kit = pageKit(app, deps, live, document, languageOf, { limiter, addressOf });
  pageRoutes(kit);
  actionRoutes(kit);
  ccusRoutes(kit);
  accountRoutes(kit);
  workerImportRoutes(kit);
  workerLinkRoutes(kit);
  alertMailRoutes(kit);

  return { app, close: () => live.close() };
}

/** One HTTP app: the API under /api (and /healthz), the dashboard for everything else. */
export function withDashboard(api: Hono, dashboard: Dashboard, bodyLimits?: BodyLimits, selfView?: Hono): Hono {
  const app = new Hono();
  // First of all, for every route: the API's and the dashboard's forms alike.
  app.use('*', limitBodies(bodyLimits));
  app.all('/api/*', (c) => api.fetch(c.req.raw, c.env));
  app.get('/healthz', (c) => api.fetch(c.req.raw, c.env));
  // Terminals download releases offered to them (api/release-downloads.ts).
  app.get('/updates/*', (c) => api.fetch(c.req.raw, c.env));
  // Workers' own pages, by their personal links: no dashboard session there.
  if (selfView !== undefined) app.route('/w', selfView);
  app.route('/', dashboard.app);
  return app;
}
