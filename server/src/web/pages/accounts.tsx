import type { FC } from 'hono/jsx';
import type { ApiTokenInfo, Site, User } from '../../store/directory-store.js';
import { Action, Empty, SmallAction, TableHead, type View } from '../layout.js';

/** Accounts belong to a tenant, not a site: their times are shown in Japan's. */
const ACCOUNTS_ZONE = 'Asia/Tokyo';

const RolePicker: FC<{ view: View; id: string }> = ({ view, id }) => (
  <select name="role" id={id} required>
    <option value="viewer">{view.t.roles.viewer}</option>
    <option value="admin">{view.t.roles.admin}</option>
  </select>
);

/** Only the sites ticked (a check box each, `site:<id>`); none ticked: every site. */
const SiteChoices: FC<{ view: View; sites: Site[]; chosen: string[] | null }> = ({ view, sites, chosen }) => (
  <>
    <small class="muted">{view.t.noneTickedAllSites}</small>
    {sites.map((site) => (
      <label class="check">
        <input type="checkbox" name={`site:${site.siteId}`} checked={chosen?.includes(site.siteId) ?? false} />{' '}
        {site.name}
      </label>
    ))}
  </>
);

/**
 * The sites a user is limited to, and (for another user) a form to change them: ticked sites
 * only, or every site.
 */
const UserSites: FC<{ view: View; user: User; sites: Site[] }> = ({ view, user, sites }) => {
  const { t } = view;
  const name = (siteId: string) => sites.find((site) => site.siteId === siteId)?.name ?? siteId;
  const shown = user.sites === null ? t.allSites : user.sites.map(name).join('、');
  if (user.login === view.user.login) return <>{shown}</>;
  return (
    <details>
      <summary>{shown}</summary>
      <Action view={view} action={`/accounts/users/${user.userId}/sites`} class="stack">
        <input type="hidden" name="login" value={user.login} />
        <SiteChoices view={view} sites={sites} chosen={user.sites} />
        <button type="submit" class="small">
          {t.saveUserSites}
        </button>
      </Action>
    </details>
  );
};

/**
 * Who may sign in to the dashboard, and the API tokens other systems use. Admins only: the
 * API refuses both lists to a viewer. `created` is a token just made, shown this once.
 */
export const AccountsPage: FC<{
  view: View;
  users: User[];
  tokens: ApiTokenInfo[];
  sites: Site[];
  created?: { label: string; token: string } | undefined;
}> = ({ view, users, tokens, sites, created }) => {
  const { t, f } = view;
  return (
    <>
      <h1>{t.pages.accounts}</h1>

      {created === undefined ? null : (
        <section class="notice" data-testid="new-token">
          <h2>{t.tokenCreated(created.label)}</h2>
          <p>{t.tokenShownOnce}</p>
          <p>
            <code class="secret">{created.token}</code>
          </p>
        </section>
      )}

      <section>
        <h2>{t.usersHeading}</h2>
        <div class="scroll">
          <table data-testid="users">
            <TableHead
              labels={[t.name, t.login, t.role, t.userSitesColumn, t.account.twoFactorColumn, t.created, '']}
            />
            <tbody>
              {users.map((user) => (
                <tr data-user={user.login}>
                  <td>{user.name}</td>
                  <td>
                    <code>{user.login}</code>
                  </td>
                  <td>{t.roles[user.role]}</td>
                  <td data-sites={user.sites === null ? 'all' : user.sites.join(' ')}>
                    <UserSites view={view} user={user} sites={sites} />
                  </td>
                  <td data-two-factor={user.twoFactor ? 'on' : 'off'}>{user.twoFactor ? '✓' : '—'}</td>
                  <td>{f.dateTime(user.createdAt, ACCOUNTS_ZONE)}</td>
                  <td>
                    {/* Removing oneself would end this session mid-task; another admin can. */}
                    {user.login === view.user.login ? null : (
                      <>
                        <SmallAction
                          view={view}
                          action={`/accounts/users/${user.userId}/password`}
                          label={t.account.resetPassword}
                        >
                          <input type="hidden" name="login" value={user.login} />
                          <input
                            type="password"
                            name="password"
                            minlength={10}
                            maxlength={200}
                            required
                            autocomplete="new-password"
                            aria-label={`${t.account.resetPassword}: ${user.login}`}
                          />
                        </SmallAction>
                        {user.twoFactor ? (
                          <SmallAction
                            view={view}
                            action={`/accounts/users/${user.userId}/two-factor/clear`}
                            label={t.account.clearTwoFactor}
                          >
                            <input type="hidden" name="login" value={user.login} />
                          </SmallAction>
                        ) : null}
                        <SmallAction
                          view={view}
                          action={`/accounts/users/${user.userId}/remove`}
                          label={t.removeUser}
                          confirm={t.confirmRemove(user.name)}
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3>{t.addUserHeading}</h3>
        <Action view={view} action="/accounts/users" class="stack">
          <label>
            {t.name} <input name="name" required maxlength={100} />
          </label>
          <label>
            {t.login}{' '}
            <input name="login" required minlength={3} maxlength={64} pattern="[A-Za-z0-9._@+\-]+" autocomplete="off" />
          </label>
          <label for="new-user-role">{t.role}</label>
          <RolePicker view={view} id="new-user-role" />
          <label>
            {t.initialPassword}{' '}
            <input
              name="password"
              type="password"
              required
              minlength={10}
              maxlength={200}
              autocomplete="new-password"
            />
          </label>
          {sites.length < 2 ? null : (
            <fieldset>
              <legend>{t.userSitesColumn}</legend>
              <SiteChoices view={view} sites={sites} chosen={null} />
            </fieldset>
          )}
          <button type="submit">{t.addUser}</button>
        </Action>
      </section>

      <section>
        <h2>{t.tokensHeading}</h2>
        <p class="help">{t.tokensHelp}</p>
        {tokens.length === 0 ? (
          <Empty>{t.none}</Empty>
        ) : (
          <div class="scroll">
            <table data-testid="tokens">
              <TableHead labels={[t.label, t.role, t.created, '']} />
              <tbody>
                {tokens.map((token) => (
                  <tr data-token={token.id}>
                    <td>{token.label}</td>
                    <td>{token.role === 'operator' ? token.role : t.roles[token.role]}</td>
                    <td>{f.dateTime(token.createdAt, ACCOUNTS_ZONE)}</td>
                    <td>
                      <SmallAction
                        view={view}
                        action={`/accounts/tokens/${token.id}/revoke`}
                        label={t.revokeToken}
                        confirm={t.confirmRevoke(token.label)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p>
          <a href="/api/reference">{t.apiReference}</a>
        </p>
        <h3>{t.addTokenHeading}</h3>
        <Action view={view} action="/accounts/tokens" class="stack">
          <label>
            {t.label} <input name="label" required maxlength={100} />
          </label>
          <label for="new-token-role">{t.role}</label>
          <RolePicker view={view} id="new-token-role" />
          <button type="submit">{t.addToken}</button>
        </Action>
      </section>
    </>
  );
};
