import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { View } from '../layout.js';

/**
 * A user's own two-factor sign-in: on, with a way to turn it off (the password asked again);
 * or off, with a new key as a QR code to scan and the first code to prove the app has it.
 */
export const TwoFactorPage: FC<{
  view: View;
  on: boolean;
  enrol: { secret: string; svg: string } | null;
}> = ({ view, on, enrol }) => {
  const { t } = view;
  return (
    <>
      <h1>{t.account.twoFactorHeading}</h1>
      <p data-testid="two-factor-state">{on ? t.account.twoFactorOn : t.account.twoFactorOff}</p>
      {on ? (
        <form method="post" action="/two-factor/off" class="stack">
          <input type="hidden" name="_csrf" value={view.csrf} />
          <label>
            {t.account.currentPassword}
            <input type="password" name="current" autocomplete="current-password" required />
          </label>
          <button type="submit" class="secondary">
            {t.account.twoFactorDisable}
          </button>
        </form>
      ) : enrol === null ? null : (
        <form method="post" action="/two-factor" class="stack">
          <input type="hidden" name="_csrf" value={view.csrf} />
          <input type="hidden" name="secret" value={enrol.secret} />
          <p>{t.account.twoFactorScan}</p>
          {/* The QR code is an SVG this server drew from the key: markup, no script. */}
          <div class="qr">{raw(enrol.svg)}</div>
          <p>
            {t.account.twoFactorKey}: <code data-testid="two-factor-key">{enrol.secret}</code>
          </p>
          <label>
            {t.account.codeLabel}
            <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required />
          </label>
          <button type="submit">{t.account.twoFactorEnable}</button>
        </form>
      )}
    </>
  );
};
