import type { Context } from 'hono';
import type { User } from '../../store/directory-store.js';
import { describeFailure } from '../api-client.js';
import { formActions } from '../form-actions.js';
import type { PageKit, Signed } from '../page-kit.js';
import { AccountsPage, type ApiTokenInfo } from '../pages/accounts.js';
import { setFlash } from '../session.js';

/** Accounts: who signs in to the dashboard, and the API tokens of other systems. */
export function accountRoutes(kit: PageKit): void {
  const { app, signedIn, render } = kit;
  const { form, action, enc } = formActions(kit);

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
}
