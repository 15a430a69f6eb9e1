import { GATE_LANGUAGES, type GateLanguage } from '@ccus-gate/protocol';
import type { FC } from 'hono/jsx';
import type { Site } from '../../store/directory-store.js';
import { Action, Empty, SmallAction, TableHead, type View } from '../layout.js';

/**
 * The tenant's sites: each one's working-day rule and its structure (施工体制: the prime,
 * then subcontractors tier by tier, each under its parent). Only the prime changes a site;
 * a subcontractor sees it read-only.
 */
export const SitesPage: FC<{ view: View; sites: Site[] }> = ({ view, sites }) => {
  const { t } = view;
  const admin = view.user.role === 'admin';
  return (
    <>
      <h1>{t.pages.sites}</h1>
      {sites.length === 0 ? <Empty>{t.noSites}</Empty> : null}
      {sites.map((site) => {
        const mine = admin && site.access === 'prime';
        return (
          <section data-site={site.siteId}>
            <h2>
              {site.name} <code>{site.siteId}</code>{' '}
              <span class="badge">{site.access === 'prime' ? t.primeSite : t.subSite}</span>
            </h2>
            <dl>
              <dt>{t.timeZoneLabel}</dt>
              <dd>{site.timeZone}</dd>
              <dt>{t.dayBoundaryLabel}</dt>
              <dd>{site.dayBoundary}</dd>
              <dt>{t.maxShiftLabel}</dt>
              <dd>{t.hours(String(site.maxShiftHours))}</dd>
              <dt>{t.gateLanguageLabel}</dt>
              <dd>{t.gateLanguages[site.language]}</dd>
            </dl>
            <h3>{t.structureHeading}</h3>
            <div class="scroll">
              <table data-testid="structure">
                <TableHead labels={[t.companyIdLabel, t.name, t.tierLabel, t.parentLabel, '']} />
                <tbody>
                  <tr>
                    <td>
                      <code>{site.primeCompanyId}</code>
                    </td>
                    <td>{t.primeSite}</td>
                    <td>0</td>
                    <td>—</td>
                    <td />
                  </tr>
                  {site.companies.map((company) => (
                    <tr data-company={company.companyId}>
                      <td>
                        <code>{company.companyId}</code>
                      </td>
                      <td>{company.name}</td>
                      <td>{company.tier}</td>
                      <td>
                        <code>{company.parentCompanyId}</code>
                      </td>
                      <td>
                        {mine ? (
                          <SmallAction
                            view={view}
                            action={`/sites/${site.siteId}/companies/${company.companyId}/remove`}
                            label={t.remove}
                            confirm={t.confirmRemove(company.name)}
                          />
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <h3>{t.ccus.heading}</h3>
            <p class="muted">{t.ccus.help}</p>
            <div class="row" data-testid="ccus-actions">
              <a href={`/sites/${site.siteId}/ccus-import`}>{t.ccus.importLink}</a>
              <SmallAction
                view={view}
                action={`/sites/${site.siteId}/ccus-register`}
                label={t.ccus.register}
                title={t.ccus.registerHint}
              />
            </div>
            {!mine ? null : (
              <>
                <h3>{t.addCompanyHeading}</h3>
                <Action view={view} action={`/sites/${site.siteId}/companies`} class="row">
                  <input
                    name="companyId"
                    required
                    inputmode="numeric"
                    pattern="[0-9]{1,14}"
                    placeholder={t.companyIdLabel}
                  />
                  <input name="name" required maxlength={200} placeholder={t.name} />
                  <input
                    name="tier"
                    type="number"
                    min={1}
                    max={10}
                    required
                    value="1"
                    aria-label={t.tierLabel}
                    class="narrow"
                  />
                  <input
                    name="parentCompanyId"
                    required
                    inputmode="numeric"
                    pattern="[0-9]{1,14}"
                    value={site.primeCompanyId}
                    aria-label={t.parentLabel}
                  />
                  <button type="submit" class="small">
                    {t.add}
                  </button>
                </Action>
                <details>
                  <summary>{t.siteSettings}</summary>
                  <Action view={view} action={`/sites/${site.siteId}/settings`} class="stack">
                    <label>
                      {t.name} <input name="name" required maxlength={200} value={site.name} />
                    </label>
                    <label>
                      {t.maxShiftLabel}{' '}
                      <input
                        name="maxShiftHours"
                        type="number"
                        min={1}
                        max={24}
                        required
                        value={String(site.maxShiftHours)}
                      />
                    </label>
                    <LanguageSelect view={view} current={site.language} />
                    <button type="submit">{t.saveSettings}</button>
                  </Action>
                </details>
              </>
            )}
          </section>
        );
      })}
      {!admin ? null : (
        <section>
          <h2>{t.addSiteHeading}</h2>
          <Action view={view} action="/sites" class="stack">
            <label>
              {t.siteIdLabel} <input name="siteId" required inputmode="numeric" pattern="[0-9]{1,14}" />
            </label>
            <label>
              {t.name} <input name="name" required maxlength={200} />
            </label>
            <label>
              {t.dayBoundaryLabel} <input name="dayBoundary" type="time" value="04:00" required />
            </label>
            <label>
              {t.maxShiftLabel} <input name="maxShiftHours" type="number" min={1} max={24} value="16" required />
            </label>
            <LanguageSelect view={view} current="ja" />
            <button type="submit">{t.add}</button>
          </Action>
        </section>
      )}
    </>
  );
};

/** The language the site's gate displays speak to workers. */
const LanguageSelect: FC<{ view: View; current: GateLanguage }> = ({ view, current }) => (
  <label>
    {view.t.gateLanguageLabel}{' '}
    <select name="language">
      {GATE_LANGUAGES.map((language) => (
        <option value={language} selected={language === current}>
          {view.t.gateLanguages[language]}
        </option>
      ))}
    </select>
  </label>
);
