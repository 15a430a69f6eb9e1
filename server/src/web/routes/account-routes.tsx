import type { Context } from 'hono';
import { hashPassword, passwordMatches } from '../../credentials.js';
import type { User } from '../../store/directory-store.js';
import { describeFailure } from '../api-client.js';
import { setDeviceCookie } from '../device-cookie.js';
import { formActions } from '../form-actions.js';
import type { PageKit, Signed } from '../page-kit.js';
import { AccountsPage, type ApiTokenInfo } from '../pages/accounts.js';
import { PasswordPage } from '../pages/password.js';
import { SESSION_LIFETIME_MS, setFlash, setSessionCookie } from '../session.js';

/** Accounts: who signs in to the dashboard, and the API tokens of other systems. */
export function accountRoutes(kit: PageKit): void {
  const { app, signedIn, render, deps, limiter, addressOf } = kit;
  const { form, action, enc } = formActions(kit);

  // ---- one's own password -------------------------------------------------------------

  app.get(
    '/password',
    signedIn(async (c, s) => render(c, s, null, s.view.t.passwordHeading, <PasswordPage view={s.view} />)),
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
        return back('error', t.wrongPassword);
      }
      const password = fields.password ?? '';
      if (password.length < 10) return back('error', t.passwordTooShort);
      if (password !== fields.confirm) return back('error', t.passwordsDiffer);
      const passwordHash = await hashPassword(password);
      await deps.directory.setPassword(user.tenantId, user.userId, passwordHash);
      const { token } = await deps.directory.createSession(user.userId, SESSION_LIFETIME_MS);
      setSessionCookie(c, token);
      setDeviceCookie(c, user.login, passwordHash);
      deps.log?.info({ login: user.login, tenantId: user.tenantId }, 'dashboard password changed');
      return back('ok', t.passwordChanged, '/today');
    }),
  );

  // ---- the tenant's users and tokens (admins) -----------------------------------------

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
    '/accounts/users/:userId/password',
    async (fields, c) => ({
      method: 'PUT',
      path: `/api/v1/users/${enc(c.req.param('userId') ?? '')}/password`,
      body: { password: fields.password },
    }),
    (t, _data, fields) => t.passwordReset(fields.login ?? ''),
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
}
