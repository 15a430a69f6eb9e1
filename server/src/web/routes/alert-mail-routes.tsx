import type { AlertSubscription } from '../../alerts/alert-subscriptions.js';
import { describeFailure } from '../api-client.js';
import type { PageKit } from '../page-kit.js';
import { AlertMailPage } from '../pages/alert-mail.js';
import { setFlash } from '../session.js';

/** The alert subscriptions page: a user's own e-mail alerts, an admin's webhooks. */
export function alertMailRoutes(kit: PageKit): void {
  const { app, signedIn, render } = kit;

  app.get(
    '/alert-mail',
    signedIn(async (c, s) => {
      const { subscriptions } = await s.api.get<{ subscriptions: AlertSubscription[] }>('/api/v1/alert-subscriptions');
      const me = `${s.session.user.name} (${s.session.user.login})`;
      return render(
        c,
        s,
        null,
        s.view.t.alertMailHeading,
        <AlertMailPage view={s.view} subscriptions={subscriptions} me={me} />,
      );
    }),
  );

  app.post(
    '/alert-mail',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const form = await c.req.parseBody();
      const text = (name: string): string => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
      const kinds = Object.keys(form)
        .filter((key) => key.startsWith('kind_'))
        .map((key) => key.slice(5));
      const sent = await s.api.send('POST', '/api/v1/alert-subscriptions', {
        channel: text('channel'),
        target: text('target'),
        kinds,
        lang: text('lang') === 'en' ? 'en' : 'ja',
      });
      if (!sent.ok) setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
      else if (typeof sent.data.secret === 'string') setFlash(c, 'ok', t.webhookSecret(sent.data.secret));
      else setFlash(c, 'ok', t.subscribed);
      return c.redirect('/alert-mail', 303);
    }),
  );

  app.post(
    '/alert-mail/:id/remove',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const sent = await s.api.send(
        'DELETE',
        `/api/v1/alert-subscriptions/${encodeURIComponent(c.req.param('id') ?? '')}`,
      );
      setFlash(
        c,
        sent.ok ? 'ok' : 'error',
        sent.ok ? t.unsubscribed : `${t.failedPrefix}: ${describeFailure(t, sent.error)}`,
      );
      return c.redirect('/alert-mail', 303);
    }),
  );
}
