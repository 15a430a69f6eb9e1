import type { SiteRegistrationResult } from '../../ccus/site-registration.js';
import { DashboardError, describeFailure } from '../api-client.js';
import { formActions } from '../form-actions.js';
import type { Messages } from '../i18n.js';
import type { PageKit } from '../page-kit.js';
import { CcusImportPage } from '../pages/ccus-import.js';
import { setFlash } from '../session.js';

/** What a registration did, in one line: counts, then the first refusals with CCUS's reasons. */
function registered(t: Messages, data: { registration: SiteRegistrationResult }): string {
  const result = data.registration;
  const counts = t.ccus.registered(
    String(result.registered.length),
    String(result.refused.length),
    String(result.resent),
  );
  const left =
    result.leftToEmployers.length === 0 ? '' : ` ${t.ccus.leftToEmployers(String(result.leftToEmployers.length))}`;
  if (result.refused.length === 0) return `${counts}.${left}`;
  const reasons = result.refused
    .slice(0, 3)
    .map((r) => `${r.workerId}: ${r.message}`)
    .join('; ');
  return `${counts}. ${t.ccus.refusedPrefix}: ${reasons}${result.refused.length > 3 ? '; …' : ''}.${left}`;
}

/**
 * CCUS's own roster of a site, from the sites and attention pages: the import (a preview, then
 * confirmed by its digest) and the registration of site, structure and roster, which is also
 * the fix offered for a record refused as not on CCUS's roster.
 */
export function ccusRoutes(kit: PageKit): void {
  const { app, signedIn, render, sitesOf } = kit;
  const { action, formSite } = formActions(kit);

  app.get(
    '/sites/:siteId/ccus-import',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const site = (await sitesOf(s)).find((one) => one.siteId === c.req.param('siteId'));
      if (site === undefined) {
        setFlash(c, 'error', t.chooseSite);
        return c.redirect('/sites', 303);
      }
      try {
        const { preview } = await s.api.read(
          s.api.v1.sites[':siteId'].ccus.roster.$get({ param: { siteId: site.siteId } }),
        );
        return render(
          c,
          s,
          'sites',
          t.ccus.importHeading(site.name),
          <CcusImportPage view={s.view} site={site} plan={preview} />,
        );
      } catch (error) {
        if (!(error instanceof DashboardError)) throw error;
        setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, error)}`);
        return c.redirect('/sites', 303);
      }
    }),
  );

  action(
    '/sites/:siteId/ccus-import',
    async (fields, c, s) =>
      s.api.v1.sites[':siteId'].ccus.roster.import.$post({
        param: { siteId: c.req.param('siteId') ?? '' },
        json: { digest: fields.digest ?? '' },
      }),
    (t, data) => t.ccus.imported(String(data.applied.added), String(data.applied.changed)),
  );

  action(
    '/sites/:siteId/ccus-register',
    async (fields, c, s) => {
      // The whole roster, or the workers a page names (those CCUS's roster lacks).
      const named = (fields.workerIds ?? '').split(',').filter((id) => id !== '');
      return s.api.v1.sites[':siteId'].ccus.registration.$post({
        param: { siteId: c.req.param('siteId') ?? '' },
        json: named.length === 0 ? {} : { workerIds: named },
      });
    },
    registered,
  );

  action(
    '/attention/ccus-register',
    async (fields, _c, s) =>
      s.api.v1.sites[':siteId'].ccus.registration.$post({
        param: { siteId: (await formSite(s, fields.site)).siteId },
        json: { workerIds: [fields.workerId ?? ''] },
      }),
    registered,
  );
}
