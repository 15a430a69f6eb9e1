import type { OnlineStatus } from '@ccus-gate/protocol';
import type { FC, PropsWithChildren } from 'hono/jsx';
import type { Tenant, TerminalView } from '../../store/directory-store.js';
import type { RolloutState } from '../../updates/rollout.js';
import type { Release } from '../../updates/update-store.js';
import type { Formats } from '../format.js';
import type { Lang, Messages } from '../i18n.js';
import { Empty, Shell, SignOut, TableHead } from '../layout.js';

/** What every fleet page knows: the operator (the token's label), the language, the form token. */
export interface FleetView {
  lang: Lang;
  t: Messages;
  f: Formats;
  label: string;
  csrf: string;
  here: string;
  flash: { kind: 'ok' | 'error'; text: string } | null;
}

/** Times on the fleet pages are Japan's: the fleet spans sites, not one site's zone. */
const FLEET_ZONE = 'Asia/Tokyo';

type FleetPage = 'terminals' | 'releases';

/** The fleet operator's pages around their content: their own navigation, no tenant's. */
export const FleetLayout: FC<PropsWithChildren<{ view: FleetView; page: FleetPage | null; title: string }>> = ({
  view,
  page,
  title,
  children,
}) => {
  const { t } = view;
  const other: Lang = view.lang === 'ja' ? 'en' : 'ja';
  return (
    <Shell
      lang={view.lang}
      title={title}
      flash={view.flash}
      header={
        <>
          <div class="bar">
            <strong class="brand">CCUS Gate</strong>
            <span class="tenant">{t.fleet.title}</span>
            <span class="spacer" />
            <a href={`${view.here}${view.here.includes('?') ? '&' : '?'}lang=${other}`} hreflang={other} class="lang">
              {t.otherLanguage}
            </a>
            <span class="who">{view.label}</span>
            <SignOut action="/fleet/signout" csrf={view.csrf} label={t.signOut} />
          </div>
          <nav>
            {(['terminals', 'releases'] as const).map((name) => (
              <a
                href={name === 'terminals' ? '/fleet' : '/fleet/releases'}
                aria-current={name === page ? 'page' : undefined}
              >
                {t.fleet[name]}
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

export const FleetSignInPage: FC<{ lang: Lang; t: Messages; token: string; error: string | null }> = ({
  lang,
  t,
  token,
  error,
}) => (
  <html lang={lang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${t.fleet.signInHeading} · CCUS Gate`}</title>
      <link rel="stylesheet" href="/assets/dashboard.css" />
    </head>
    <body class="signin">
      <main>
        <h1>{t.fleet.signInHeading}</h1>
        <p class="muted">{t.fleet.signInHelp}</p>
        {error === null ? null : (
          <p class="flash error" role="alert">
            {error}
          </p>
        )}
        <form method="post" action="/fleet/signin" class="stack">
          <input type="hidden" name="_csrf" value={token} />
          <label>
            {t.fleet.token} <input name="token" type="password" autocomplete="current-password" required autofocus />
          </label>
          <button type="submit">{t.fleet.signIn}</button>
        </form>
      </main>
    </body>
  </html>
);

/** Every terminal of the fleet: whose it is, where, which release it runs and how its update goes. */
export const FleetTerminalsPage: FC<{ view: FleetView; terminals: TerminalView[]; tenants: Tenant[] }> = ({
  view,
  terminals,
  tenants,
}) => {
  const { t, f } = view;
  const tenantName = new Map(tenants.map((tenant) => [tenant.tenantId, tenant.name]));
  return (
    <>
      <h1>{t.fleet.terminals}</h1>
      <div class="scroll">
        <table data-testid="fleet-terminals">
          <TableHead
            labels={[
              t.fleet.terminal,
              t.fleet.tenant,
              t.fleet.site,
              t.fleet.firmware,
              t.fleet.update,
              t.fleet.lastSeen,
            ]}
          />
          <tbody>
            {terminals.map((terminal) => {
              const status = terminal.status as OnlineStatus | { state: 'offline' } | null;
              const online = status?.state === 'online' ? status : null;
              const update = online?.update ?? null;
              const lease = terminal.siteId === null ? null : terminal.siteId;
              return (
                <tr data-terminal={terminal.terminalId}>
                  <td>
                    <code>{terminal.terminalId}</code>{' '}
                    <span class={online === null ? 'badge bad' : 'badge ok'}>
                      {online === null ? t.fleet.offline : t.fleet.online}
                    </span>
                  </td>
                  <td>{terminal.tenantId === null ? '—' : (tenantName.get(terminal.tenantId) ?? terminal.tenantId)}</td>
                  <td>{lease === null ? t.fleet.notLeased : <code>{lease}</code>}</td>
                  <td data-firmware={online?.firmware ?? ''}>{online?.firmware ?? '—'}</td>
                  <td>
                    {update === null ? (
                      '—'
                    ) : (
                      <span
                        class={
                          ['failed', 'rolled_back', 'rollback_refused'].includes(update.state) ? 'badge warn' : 'badge'
                        }
                        data-update={update.state}
                        title={update.detail}
                      >
                        {update.version}: {t.updates.states[update.state]}
                      </span>
                    )}
                  </td>
                  <td>{terminal.statusAt === null ? '—' : f.dateTime(terminal.statusAt, FLEET_ZONE)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
};

/** Published releases, each with how its rollout goes, and the form that rolls one out. */
export const FleetReleasesPage: FC<{
  view: FleetView;
  releases: { release: Release; counts: Record<RolloutState, number> }[];
}> = ({ view, releases }) => {
  const { t, f } = view;
  return (
    <>
      <h1>{t.fleet.releases}</h1>
      {releases.length === 0 ? <Empty>{t.fleet.noReleases}</Empty> : null}
      <div class="scroll">
        <table data-testid="fleet-releases">
          <TableHead labels={[t.fleet.version, t.fleet.published, t.fleet.progress, '']} />
          <tbody>
            {releases.map(({ release, counts }) => (
              <tr data-release={release.version}>
                <td>
                  <a href={`/fleet/rollouts/${encodeURIComponent(release.version)}`}>{release.version}</a>
                </td>
                <td>{f.dateTime(release.publishedAt, FLEET_ZONE)}</td>
                <td>
                  {Object.entries(counts)
                    .filter(([, n]) => n > 0)
                    .map(([state, n]) => `${t.fleet.states[state as RolloutState]} ${f.number(n)}`)
                    .join(' · ') || '—'}
                </td>
                <td data-label="">
                  <form method="post" action="/fleet/rollouts" class="inline">
                    <input type="hidden" name="_csrf" value={view.csrf} />
                    <input type="hidden" name="version" value={release.version} />
                    <label>
                      {t.fleet.share} <input name="share" type="number" min="1" max="100" value="10" />
                    </label>
                    <label>
                      {t.fleet.terminalIds} <input name="terminals" />
                    </label>
                    <button type="submit">{t.fleet.rollOut}</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
};

/** One release's rollout: each terminal offered it, and where it is. */
export const FleetRolloutPage: FC<{
  view: FleetView;
  version: string;
  terminals: {
    terminalId: string;
    state: RolloutState;
    firmware: string | null;
    detail: string;
    statusAt: string | null;
  }[];
}> = ({ view, version, terminals }) => {
  const { t, f } = view;
  return (
    <>
      <h1>{t.fleet.rolloutHeading(version)}</h1>
      {terminals.length === 0 ? <Empty>{t.fleet.noTargets}</Empty> : null}
      <div class="scroll">
        <table data-testid="fleet-rollout">
          <TableHead labels={[t.fleet.terminal, t.fleet.progress, t.fleet.firmware, t.fleet.lastSeen]} />
          <tbody>
            {terminals.map((terminal) => (
              <tr data-terminal={terminal.terminalId} data-state={terminal.state}>
                <td>
                  <code>{terminal.terminalId}</code>
                </td>
                <td title={terminal.detail}>
                  <span
                    class={
                      ['failed', 'rolled_back', 'rollback_refused'].includes(terminal.state) ? 'badge warn' : 'badge'
                    }
                  >
                    {t.fleet.states[terminal.state]}
                  </span>{' '}
                  {terminal.detail}
                </td>
                <td>{terminal.firmware ?? '—'}</td>
                <td>{terminal.statusAt === null ? '—' : f.dateTime(terminal.statusAt, FLEET_ZONE)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {terminals.length === 0 ? null : (
        <form method="post" action={`/fleet/rollouts/${encodeURIComponent(version)}/withdraw`} class="inline">
          <input type="hidden" name="_csrf" value={view.csrf} />
          <button type="submit" class="secondary">
            {t.fleet.withdraw}
          </button>
        </form>
      )}
    </>
  );
};
