import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { Site } from '../store/directory-store.js';
import type { Formats } from './format.js';
import type { Lang, Messages } from './i18n.js';

export type PageName =
  | 'today'
  | 'terminals'
  | 'records'
  | 'attention'
  | 'workers'
  | 'levels'
  | 'sites'
  | 'exports'
  | 'audit'
  | 'accounts';

/** What every page knows about the request: who, in which language, and the form token. */
export interface View {
  lang: Lang;
  t: Messages;
  f: Formats;
  user: { name: string; login: string; role: 'admin' | 'viewer'; tenantName: string; sites: string[] | null };
  csrf: string;
  /** The page's own path and query, where a form sends the user back to. */
  here: string;
  flash: { kind: 'ok' | 'error'; text: string } | null;
}

const PAGES: PageName[] = [
  'today',
  'terminals',
  'records',
  'attention',
  'workers',
  'levels',
  'sites',
  'exports',
  'audit',
  'accounts',
];

export const Csrf: FC<{ view: View }> = ({ view }) => (
  <>
    <input type="hidden" name="_csrf" value={view.csrf} />
    <input type="hidden" name="back" value={view.here} />
  </>
);

/** A form that changes something: CSRF token and the way back included; only admins see it. */
export const Action: FC<PropsWithChildren<{ view: View; action: string; class?: string; confirm?: string }>> = ({
  view,
  action,
  children,
  ...rest
}) =>
  view.user.role === 'admin' ? (
    <form method="post" action={action} class={rest.class ?? 'inline'} data-confirm={rest.confirm}>
      <Csrf view={view} />
      {children}
    </form>
  ) : null;

/** A small button that changes something (a removal, mostly), asking first when `confirm` is given. */
export const SmallAction: FC<
  PropsWithChildren<{ view: View; action: string; label: string; confirm?: string; title?: string }>
> = ({ view, action, label, confirm, title, children }) => (
  <Action view={view} action={action} {...(confirm === undefined ? {} : { confirm })}>
    {children}
    <button type="submit" class="small secondary" title={title}>
      {label}
    </button>
  </Action>
);

export const SitePicker: FC<{ view: View; sites: Site[]; current: Site; extra?: Child }> = ({
  view,
  sites,
  current,
  extra,
}) => (
  <form method="get" class="picker">
    <label>
      {view.t.site}{' '}
      <select name="site" data-autosubmit>
        {sites.map((site) => (
          <option value={site.siteId} selected={site.siteId === current.siteId}>
            {site.name}
          </option>
        ))}
      </select>
    </label>
    {extra}
    <button type="submit" class="secondary">
      {view.t.show}
    </button>
  </form>
);

export const TableHead: FC<{ labels: string[] }> = ({ labels }) => (
  <thead>
    <tr>{labels.map((label) => (label === '' ? <th /> : <th>{label}</th>))}</tr>
  </thead>
);

export const Empty: FC<{ children: Child }> = ({ children }) => <p class="empty">{children}</p>;

/** Signing out: a form, so that a link followed from elsewhere cannot. */
export const SignOut: FC<{ action: string; csrf: string; label: string }> = ({ action, csrf, label }) => (
  <form method="post" action={action} class="inline">
    <input type="hidden" name="_csrf" value={csrf} />
    <button type="submit" class="link">
      {label}
    </button>
  </form>
);

/** What every signed-in page is in: the document, its header (each kind of page its own) and the one-time message. */
export const Shell: FC<
  PropsWithChildren<{
    lang: Lang;
    title: string;
    header: Child;
    flash: View['flash'];
    live?: string | undefined;
  }>
> = ({ lang, title, header, flash, live, children }) => (
  <html lang={lang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · CCUS Gate`}</title>
      <link rel="stylesheet" href="/assets/dashboard.css" />
      <script src="/assets/dashboard.js" defer />
    </head>
    <body>
      <header>{header}</header>
      <main id="main" data-live={live}>
        {flash === null ? null : (
          <p class={`flash ${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
            {flash.text}
          </p>
        )}
        {children}
      </main>
    </body>
  </html>
);

/** The page around the content: navigation, language switch, sign-out. */
export const Layout: FC<PropsWithChildren<{ view: View; page: PageName | null; title: string; live?: string }>> = ({
  view,
  page,
  title,
  live,
  children,
}) => {
  const { t } = view;
  const other: Lang = view.lang === 'ja' ? 'en' : 'ja';
  const switchTo = `${view.here}${view.here.includes('?') ? '&' : '?'}lang=${other}`;
  return (
    <Shell
      lang={view.lang}
      title={title}
      flash={view.flash}
      live={live}
      header={
        <>
          <div class="bar">
            <strong class="brand">CCUS Gate</strong>
            <span class="tenant">{view.user.tenantName}</span>
            <span class="spacer" />
            <a href={switchTo} hreflang={other} lang={other} class="lang">
              {t.otherLanguage}
            </a>
            <span class="who">
              {view.user.name}
              {view.user.role === 'viewer' ? ` (${t.viewerRole})` : ''}
            </span>
            <a href="/password" class="link">
              {t.account.passwordLink}
            </a>
            <a href="/two-factor" class="link">
              {t.account.twoFactorLink}
            </a>
            <a href="/alert-mail" class="link">
              {t.alertMailLink}
            </a>
            <SignOut action="/signout" csrf={view.csrf} label={t.signOut} />
          </div>
          <nav>
            {/* Accounts are the business of an admin of the whole company, and so is the audit trail of a user limited to sites. */}
            {PAGES.filter(
              (name) =>
                (name !== 'accounts' || (view.user.role === 'admin' && view.user.sites === null)) &&
                (name !== 'audit' || view.user.sites === null),
            ).map((name) => (
              <a href={`/${name}`} aria-current={name === page ? 'page' : undefined}>
                {t.pages[name]}
              </a>
            ))}
          </nav>
        </>
      }
    >
      {children}
    </Shell>
  );
};
