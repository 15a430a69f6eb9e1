import type { Context, Hono } from 'hono';
import type { html } from 'hono/html';
import type { JSX } from 'hono/jsx/jsx-runtime';
import type { AddressOf } from '../../http/client-address.js';
import type { SignInLimiter } from '../../http/sign-in-limiter.js';
import { ApiClient, DashboardError, describeFailure } from '../api-client.js';
import type { DashboardDeps } from '../dashboard.js';
import { FORMATS } from '../format.js';
import { type Lang, MESSAGES } from '../i18n.js';
import {
  FleetLayout,
  FleetReleasesPage,
  FleetRolloutPage,
  FleetSignInPage,
  FleetTerminalsPage,
  type FleetView,
} from '../pages/fleet.js';
import {
  clearFleetCookie,
  csrfOf,
  fleetToken,
  issueSignInToken,
  SESSION_LIFETIME_MS,
  setFlash,
  setFleetCookie,
  signInTokenMatches,
  takeFlash,
  tokensEqual,
} from '../session.js';

/**
 * The fleet operator's pages (/fleet): every terminal with the release it runs and how its
 * update goes, the published releases, and their rollouts. Signed in with an operator API
 * token; the pages call the API as the operator, through the same typed client as the rest.
 */
export function fleetRoutes(
  app: Hono,
  deps: DashboardDeps,
  document: (page: JSX.Element) => ReturnType<typeof html>,
  languageOf: (c: Context) => Lang,
  signIns: { limiter: SignInLimiter; addressOf: AddressOf },
): void {
  const { directory } = deps;
  const { limiter, addressOf } = signIns;

  const signInPage = (c: Context, status: 200 | 401 | 403 | 429, error: string | null) => {
    const lang = languageOf(c);
    return c.html(
      document(<FleetSignInPage lang={lang} t={MESSAGES[lang]} token={issueSignInToken(c)} error={error} />),
      status,
    );
  };

  app.get('/fleet/signin', async (c) => {
    const token = fleetToken(c);
    if (token !== undefined && (await directory.operatorSession(token)) !== null) return c.redirect('/fleet', 302);
    return signInPage(c, 200, null);
  });

  app.post('/fleet/signin', async (c) => {
    const t = MESSAGES[languageOf(c)];
    const form = await c.req.parseBody();
    const attempt = { address: addressOf(c) };
    // Wrong tokens count against the address like wrong passwords and wrong API tokens.
    if (limiter.blockedFor(attempt) > 0) return signInPage(c, 429, t.signInBlocked);
    if (!signInTokenMatches(c, form._csrf)) return signInPage(c, 403, t.signInExpired);
    const apiToken = typeof form.token === 'string' ? form.token.trim() : '';
    const opened = apiToken === '' ? null : await directory.createOperatorSession(apiToken, SESSION_LIFETIME_MS);
    if (opened === null) {
      limiter.fail(attempt);
      deps.log?.info({ address: attempt.address }, 'fleet sign-in refused');
      return signInPage(c, 401, t.fleet.signInFailed);
    }
    limiter.succeeded(attempt);
    setFleetCookie(c, opened.token);
    return c.redirect('/fleet', 303);
  });

  app.post('/fleet/signout', async (c) => {
    const token = fleetToken(c);
    const form = await c.req.parseBody();
    if (token !== undefined && tokensEqual(form._csrf, csrfOf(token))) await directory.endOperatorSession(token);
    clearFleetCookie(c);
    return c.redirect('/fleet/signin', 303);
  });

  /** Runs the handler for a signed-in operator, with a checked CSRF token on every change. */
  const operator =
    (handler: (c: Context, s: { api: ApiClient; view: FleetView }) => Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const token = fleetToken(c);
      const found = token === undefined ? null : await directory.operatorSession(token);
      if (token === undefined || found === null) {
        if (token !== undefined) clearFleetCookie(c);
        return c.redirect('/fleet/signin', c.req.method === 'GET' ? 302 : 303);
      }
      const lang = languageOf(c);
      if (c.req.method === 'POST') {
        const form = await c.req.parseBody();
        if (!tokensEqual(form._csrf, csrfOf(token))) return c.text(MESSAGES[lang].signInExpired, 403);
      }
      const here = new URL(c.req.url);
      here.searchParams.delete('lang');
      const view: FleetView = {
        lang,
        t: MESSAGES[lang],
        f: FORMATS[lang],
        label: found.label,
        csrf: csrfOf(token),
        here: `${here.pathname}${here.search}`,
        flash: c.req.method === 'GET' ? takeFlash(c) : null,
      };
      const api = new ApiClient(deps.api, { role: 'operator', label: found.label, scope: null });
      try {
        return await handler(c, { api, view });
      } catch (error) {
        if (!(error instanceof DashboardError)) throw error;
        const status = error.status === 404 ? 404 : 400;
        return c.html(
          document(
            <FleetLayout view={view} page={null} title={view.t.errorTitle}>
              <h1>{view.t.errorTitle}</h1>
              <p class="flash error" role="alert">
                {describeFailure(view.t, error)}
              </p>
            </FleetLayout>,
          ),
          status,
        );
      }
    };

  const render = (
    c: Context,
    view: FleetView,
    page: 'terminals' | 'releases' | null,
    title: string,
    body: JSX.Element,
  ) =>
    c.html(
      document(
        <FleetLayout view={view} page={page} title={title}>
          {body}
        </FleetLayout>,
      ),
    );

  app.get(
    '/fleet',
    operator(async (c, { api, view }) => {
      const [terminals, tenants] = await Promise.all([
        api.all('terminals', (query) => api.v1.fleet.terminals.$get({ query })),
        api.all('tenants', (query) => api.v1.tenants.$get({ query })),
      ]);
      return render(
        c,
        view,
        'terminals',
        view.t.fleet.terminals,
        <FleetTerminalsPage view={view} terminals={terminals} tenants={tenants} />,
      );
    }),
  );

  app.get(
    '/fleet/releases',
    operator(async (c, { api, view }) => {
      const { releases } = await api.read(api.v1.fleet.releases.$get());
      const withCounts = await Promise.all(
        releases.map(async (release) => ({
          release,
          counts: (await api.read(api.v1.fleet.rollouts[':version'].$get({ param: { version: release.version } })))
            .counts,
        })),
      );
      return render(
        c,
        view,
        'releases',
        view.t.fleet.releases,
        <FleetReleasesPage view={view} releases={withCounts} />,
      );
    }),
  );

  app.get(
    '/fleet/rollouts/:version',
    operator(async (c, { api, view }) => {
      const version = c.req.param('version') ?? '';
      const { terminals } = await api.read(api.v1.fleet.rollouts[':version'].$get({ param: { version } }));
      return render(
        c,
        view,
        'releases',
        view.t.fleet.rolloutHeading(version),
        <FleetRolloutPage view={view} version={version} terminals={terminals} />,
      );
    }),
  );

  app.post(
    '/fleet/rollouts',
    operator(async (c, { api, view }) => {
      const form = await c.req.parseBody();
      const version = typeof form.version === 'string' ? form.version : '';
      const named = (typeof form.terminals === 'string' ? form.terminals : '')
        .split(/[,、\s]+/)
        .filter((id) => id !== '');
      const sent = await api.send(
        api.v1.fleet.rollouts.$post({
          json: named.length > 0 ? { version, terminals: named } : { version, share: Number(form.share) },
        }),
      );
      if (sent.ok) setFlash(c, 'ok', view.t.fleet.rolledOut(version, view.f.number(sent.data.offered.length)));
      else setFlash(c, 'error', `${view.t.failedPrefix}: ${describeFailure(view.t, sent.error)}`);
      return c.redirect(sent.ok ? `/fleet/rollouts/${encodeURIComponent(version)}` : '/fleet/releases', 303);
    }),
  );

  app.post(
    '/fleet/rollouts/:version/withdraw',
    operator(async (c, { api, view }) => {
      const version = c.req.param('version') ?? '';
      const sent = await api.send(api.v1.fleet.rollouts[':version'].$delete({ param: { version } }));
      if (sent.ok) setFlash(c, 'ok', view.t.fleet.withdrawn(version, view.f.number(sent.data.withdrawn.length)));
      else setFlash(c, 'error', `${view.t.failedPrefix}: ${describeFailure(view.t, sent.error)}`);
      return c.redirect('/fleet/releases', 303);
    }),
  );
}
