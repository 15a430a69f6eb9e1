import { describeFailure } from '../api-client.js';
import { asked } from '../form-actions.js';
import type { PageKit } from '../page-kit.js';
import { AlertMailPage } from '../pages/alert-mail.js';
import { setFlash } from '../session.js';

/** The alert subscriptions page: a user's own e-mail alerts, an admin's webhooks. */
export function alertMailRoutes(kit: PageKit): void {
  const { app, signedIn, render } = kit;

  app.get(
    '/alert-mail',
    signedIn(async (c, s) => {
      const { subscriptions } = await s.api.read(s.api.v1['alert-subscriptions'].$get());
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
      const sent = await s.api.send(
        s.api.v1['alert-subscriptions'].$post({
          json: {
            channel: asked(text('channel')),
            target: text('target'),
            kinds: kinds.map((kind) => asked(kind)),
            lang: text('lang') === 'en' ? 'en' : 'ja',
          },
        }),
      );
      if (!sent.ok) setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
      else if (sent.data.secret !== null) setFlash(c, 'ok', t.webhookSecret(sent.data.secret));
      else setFlash(c, 'ok', t.subscribed);
      return c.redirect('/alert-mail', 303);
    }),
  );

  app.post(
    '/alert-mail/:id/remove',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const sent = await s.api.send(
        s.api.v1['alert-subscriptions'][':id'].$delete({ param: { id: c.req.param('id') ?? '' } }),
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
