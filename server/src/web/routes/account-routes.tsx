import type { Context } from 'hono';
import { hashPassword, passwordMatches } from '../../credentials.js';
import { describeFailure } from '../api-client.js';
import { setDeviceCookie } from '../device-cookie.js';
import { asked, formActions } from '../form-actions.js';
import type { PageKit, Signed } from '../page-kit.js';
import { AccountsPage } from '../pages/accounts.js';
import { PasswordPage } from '../pages/password.js';
import { TwoFactorPage } from '../pages/two-factor.js';
import { SESSION_LIFETIME_MS, setFlash, setSessionCookie } from '../session.js';
import { codeStep, enrolment, isTotpSecret, newTotpSecret } from '../two-factor.js';

/** The sites a form's check boxes chose (`site:<id>` each); none ticked means every site (null). */
function chosenSites(fields: Record<string, string>): string[] | null {
  const sites = Object.keys(fields)
    .filter((key) => key.startsWith('site:'))
    .map((key) => key.slice('site:'.length));
  return sites.length === 0 ? null : sites;
}

/** Accounts: who signs in to the dashboard, and the API tokens of other systems. */
export function accountRoutes(kit: PageKit): void {
  const { app, signedIn, render, deps, limiter, addressOf } = kit;
  const { form, action } = formActions(kit);

  // ---- one's own password -------------------------------------------------------------

  app.get(
    '/password',
    signedIn(async (c, s) => render(c, s, null, s.view.t.account.passwordHeading, <PasswordPage view={s.view} />)),
  );

  /**
   * Not through the API: the API knows tokens, not people. The current password is checked
   * like a sign-in (a wrong one counts against the same budget), every other session ends,
   * and this browser gets a fresh one.
   */
  app.post(
    '/password',
    signedIn(async (c, s) => {
      const fields = await form(c);
      const { t } = s.view;
      const { user } = s.session;
      const back = (kind: 'ok' | 'error', text: string, to = '/password') => {
        setFlash(c, kind, text);
        return c.redirect(to, 303);
      };
      const attempt = { address: addressOf(c), account: user.login };
      if (limiter.blockedFor(attempt) > 0) return back('error', t.signInBlocked);
      const found = await deps.directory.userForSignIn(user.login);
      if (found === null || !(await passwordMatches(fields.current ?? '', found.passwordHash))) {
        limiter.fail(attempt);
        return back('error', t.account.wrongPassword);
      }
      const password = fields.password ?? '';
      if (password.length < 10) return back('error', t.account.passwordTooShort);
      if (password !== fields.confirm) return back('error', t.account.passwordsDiffer);
      const passwordHash = await hashPassword(password);
      await deps.directory.setPassword(user.tenantId, user.userId, passwordHash);
      const { token } = await deps.directory.createSession(user.userId, SESSION_LIFETIME_MS);
      setSessionCookie(c, token);
      setDeviceCookie(c, user.login, passwordHash);
      deps.log?.info({ login: user.login, tenantId: user.tenantId }, 'dashboard password changed');
      return back('ok', t.account.passwordChanged, '/today');
    }),
  );

  // ---- one's own two-factor sign-in ----------------------------------------------------

  const twoFactorOn = async (s: Signed): Promise<boolean> =>
    (await deps.directory.userForSignIn(s.session.user.login))?.totpSecret != null;

  app.get(
    '/two-factor',
    signedIn(async (c, s) => {
      const on = await twoFactorOn(s);
      const secret = newTotpSecret();
      const enrol = on ? null : { secret, svg: (await enrolment(secret, s.session.user.login)).svg };
      return render(
        c,
        s,
        null,
        s.view.t.account.twoFactorHeading,
        <TwoFactorPage view={s.view} on={on} enrol={enrol} />,
      );
    }),
  );

  /** On: the key shown on the page, with a code from the app that proves it holds it. */
  app.post(
    '/two-factor',
    signedIn(async (c, s) => {
      const fields = await form(c);
      const { t } = s.view;
      const { user } = s.session;
      const secret = fields.secret ?? '';
      const step = isTotpSecret(secret) ? codeStep(secret, fields.code ?? '', deps.now()) : null;
      if (step === null) {
        setFlash(c, 'error', t.account.codeWrong);
        return c.redirect('/two-factor', 303);
      }
      await deps.directory.setTotp(user.tenantId, user.userId, secret);
      await deps.directory.useTotpStep(user.userId, step);
      deps.log?.info({ login: user.login, tenantId: user.tenantId }, 'two-factor sign-in turned on');
      setFlash(c, 'ok', t.account.twoFactorEnabled);
      return c.redirect('/two-factor', 303);
    }),
  );

  /** Off: the password asked again (a wrong one counts as a failed sign-in). */
  app.post(
    '/two-factor/off',
    signedIn(async (c, s) => {
      const fields = await form(c);
      const { t } = s.view;
      const { user } = s.session;
      const attempt = { address: addressOf(c), account: user.login };
      const found = await deps.directory.userForSignIn(user.login);
      if (
        limiter.blockedFor(attempt) > 0 ||
        found === null ||
        !(await passwordMatches(fields.current ?? '', found.passwordHash))
      ) {
        limiter.fail(attempt);
        setFlash(c, 'error', t.account.wrongPassword);
        return c.redirect('/two-factor', 303);
      }
      await deps.directory.setTotp(user.tenantId, user.userId, null);
      deps.log?.info({ login: user.login, tenantId: user.tenantId }, 'two-factor sign-in turned off');
      setFlash(c, 'ok', t.account.twoFactorDisabled);
      return c.redirect('/two-factor', 303);
    }),
  );

  // ---- the tenant's users and tokens (admins) -----------------------------------------

  const accountsPage = async (c: Context, s: Signed, created?: { label: string; token: string }) => {
    const [users, tokens, sites] = await Promise.all([
      s.api.read(s.api.v1.users.$get({ query: {} })),
      s.api.read(s.api.v1.tokens.$get({ query: {} })),
      kit.sitesOf(s),
    ]);
    // After making a token the page answers a POST: its forms and language link go back to /accounts.
    const view = { ...s.view, here: '/accounts' };
    return render(
      c,
      { ...s, view },
      'accounts',
      view.t.pages.accounts,
      <AccountsPage view={view} users={users.users} tokens={tokens.tokens} sites={sites} created={created} />,
    );
  };

  app.get(
    '/accounts',
    signedIn((c, s) => accountsPage(c, s)),
  );

  action(
    '/accounts/users',
    async (fields, _c, s) => {
      const sites = chosenSites(fields);
      return s.api.v1.users.$post({
        json: {
          login: asked(fields.login),
          name: asked(fields.name),
          role: asked(fields.role),
          password: asked(fields.password),
          ...(sites === null ? {} : { sites }),
        },
      });
    },
    (t, data) => t.userAdded(data.user.login),
  );

  action(
    '/accounts/users/:userId/password',
    async (fields, c, s) =>
      s.api.v1.users[':userId'].password.$put({
        param: { userId: c.req.param('userId') ?? '' },
        json: { password: asked(fields.password) },
      }),
    (t, _data, fields) => t.account.passwordReset(fields.login ?? ''),
  );

  action(
    '/accounts/users/:userId/two-factor/clear',
    async (_fields, c, s) =>
      s.api.v1.users[':userId']['two-factor'].$delete({ param: { userId: c.req.param('userId') ?? '' } }),
    (t, _data, fields) => t.account.twoFactorCleared(fields.login ?? ''),
  );

  action(
    '/accounts/users/:userId/sites',
    async (fields, c, s) =>
      s.api.v1.users[':userId'].sites.$put({
        param: { userId: c.req.param('userId') ?? '' },
        json: { sites: chosenSites(fields) },
      }),
    (t, _data, fields) => t.userSitesSaved(fields.login ?? ''),
  );

  action(
    '/accounts/users/:userId/remove',
    async (_fields, c, s) => s.api.v1.users[':userId'].$delete({ param: { userId: c.req.param('userId') ?? '' } }),
    (t) => t.saved,
  );

  action(
    '/accounts/tokens/:id/revoke',
    async (_fields, c, s) => s.api.v1.tokens[':id'].$delete({ param: { id: c.req.param('id') ?? '' } }),
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
      const sent = await s.api.send(
        s.api.v1.tokens.$post({ json: { role: asked(fields.role), label: asked(fields.label) } }),
      );
      if (!sent.ok) {
        setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
        return c.redirect('/accounts', 303);
      }
      c.header('cache-control', 'no-store');
      return accountsPage(c, s, { label: sent.data.label, token: sent.data.token });
    }),
  );
}
