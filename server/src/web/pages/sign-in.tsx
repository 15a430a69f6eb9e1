import type { FC } from 'hono/jsx';
import type { Lang, Messages } from '../i18n.js';

export const SignInPage: FC<{
  lang: Lang;
  t: Messages;
  token: string;
  next: string;
  error: string | null;
  login: string;
  /** The password was right and the user has two-factor sign-in: the code is asked for. */
  askCode?: boolean;
}> = ({ lang, t, token, next, error, login, askCode = false }) => (
  <html lang={lang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${t.signIn} · CCUS Gate`}</title>
      <link rel="stylesheet" href="/assets/dashboard.css" />
    </head>
    <body class="signin">
      <main>
        <h1>CCUS Gate</h1>
        <p class="muted">{t.signInHelp}</p>
        {error === null ? null : (
          <p class="flash error" role="alert">
            {error}
          </p>
        )}
        <form method="post" action="/signin" class="stack">
          <input type="hidden" name="_csrf" value={token} />
          <input type="hidden" name="next" value={next} />
          <label>
            {t.login} <input name="login" value={login} autocomplete="username" required autofocus />
          </label>
          <label>
            {t.password} <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <label>
            {askCode ? t.account.codeLabel : t.account.codeOptional}{' '}
            <input
              name="code"
              inputmode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9 ]{6,7}"
              maxlength={7}
              required={askCode}
              autofocus={askCode}
            />
          </label>
          <button type="submit">{t.signIn}</button>
        </form>
        <p>
          <a href={`/signin?lang=${lang === 'ja' ? 'en' : 'ja'}&next=${encodeURIComponent(next)}`}>{t.otherLanguage}</a>
        </p>
      </main>
    </body>
  </html>
);
