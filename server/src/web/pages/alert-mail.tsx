import type { FC } from 'hono/jsx';
import type { AlertSubscription } from '../../alerts/alert-subscriptions.js';
import { ALERT_KINDS } from '../../alerts/tenant-alerts.js';
import { Csrf, Empty, type View } from '../layout.js';

const Kinds: FC<{ view: View }> = ({ view }) => (
  <fieldset>
    {ALERT_KINDS.map((kind) => (
      <label class="check">
        <input type="checkbox" name={`kind_${kind}`} checked /> {view.t.alertKinds[kind]}
      </label>
    ))}
  </fieldset>
);

/** Who gets which alerts: each user their own e-mail, admins webhooks too. */
export const AlertMailPage: FC<{ view: View; subscriptions: AlertSubscription[]; me: string }> = ({
  view,
  subscriptions,
  me,
}) => {
  const { t } = view;
  const admin = view.user.role === 'admin';
  return (
    <>
      <h1>{t.alertMailHeading}</h1>
      <p class="muted">{t.alertMailHelp}</p>
      {subscriptions.length === 0 ? <Empty>{t.noSubscriptions}</Empty> : null}
      <ul data-testid="subscriptions">
        {subscriptions.map((subscription) => (
          <li data-subscription={String(subscription.id)}>
            <code>{subscription.target}</code> ({subscription.channel}, {subscription.lang}) ·{' '}
            {subscription.kinds.map((kind) => t.alertKinds[kind]).join('、')} ·{' '}
            <span class="muted">{subscription.createdBy}</span>
            {admin || subscription.createdBy === me ? (
              <form method="post" action={`/alert-mail/${subscription.id}/remove`} class="inline">
                <Csrf view={view} />
                <button type="submit" class="small secondary">
                  {t.unsubscribe}
                </button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
      <form method="post" action="/alert-mail" class="stack">
        <Csrf view={view} />
        <input type="hidden" name="channel" value="email" />
        <label>
          {t.emailAddress} <input name="target" type="email" required maxlength={200} />
        </label>
        <Kinds view={view} />
        <label>
          {t.alertLanguage}{' '}
          <select name="lang">
            <option value="ja" selected={view.lang === 'ja'}>
              日本語
            </option>
            <option value="en" selected={view.lang === 'en'}>
              English
            </option>
          </select>
        </label>
        <button type="submit">{t.subscribe}</button>
      </form>
      {admin ? (
        <form method="post" action="/alert-mail" class="stack">
          <Csrf view={view} />
          <input type="hidden" name="channel" value="webhook" />
          <input type="hidden" name="lang" value={view.lang} />
          <label>
            {t.webhookUrl} <input name="target" type="url" required maxlength={500} placeholder="https://" />
          </label>
          <Kinds view={view} />
          <button type="submit">{t.subscribe}</button>
        </form>
      ) : null}
    </>
  );
};
