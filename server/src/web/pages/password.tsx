import type { FC } from 'hono/jsx';
import type { View } from '../layout.js';

/** Any signed-in user changes their own password, giving the current one. */
export const PasswordPage: FC<{ view: View }> = ({ view }) => {
  const { t } = view;
  return (
    <>
      <h1>{t.account.passwordHeading}</h1>
      <form method="post" action="/password" class="stack">
        <input type="hidden" name="_csrf" value={view.csrf} />
        <label>
          {t.account.currentPassword}
          <input type="password" name="current" autocomplete="current-password" required />
        </label>
        <label>
          {t.account.newPassword}
          <input type="password" name="password" autocomplete="new-password" minlength={10} required />
        </label>
        <label>
          {t.account.confirmPassword}
          <input type="password" name="confirm" autocomplete="new-password" minlength={10} required />
        </label>
        <button type="submit">{t.account.changePassword}</button>
      </form>
    </>
  );
};
