import { ccusToday } from '@ccus-gate/protocol';
import type { InferRequestType } from 'hono/client';
import { type ApiV1, DashboardError } from '../api-client.js';
import { dayBefore, HELD_SHOWN, monthOf, type PageKit } from '../page-kit.js';
import { AttentionPage } from '../pages/attention.js';
import { AuditPage } from '../pages/audit.js';
import { ExportsPage } from '../pages/exports.js';
import { LevelsPage } from '../pages/levels.js';
import { RecordsPage } from '../pages/records.js';
import { SitesPage } from '../pages/sites.js';
import { TerminalsPage } from '../pages/terminals.js';
import { TodayPage } from '../pages/today.js';
import { WorkersPage } from '../pages/workers.js';

type ExportAsked = InferRequestType<ApiV1['exports']['records']['$get']>['query'];
type LevelsAsked = InferRequestType<ApiV1['exports']['levels']['$get']>['query'];
/** A query parameter left empty is not given. */
const optional = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

/** The dashboard's pages: today, records, needs a person, workers, exports, terminals, and their live updates. */
export function pageRoutes(kit: PageKit): void {
  const {
    app,
    now,
    live,
    signedIn,
    render,
    sitesOf,
    pickSite,
    workersOf,
    rosterOf,
    namesOf,
    noSites,
    siteDay,
    todaysTaps,
  } = kit;
  app.get('/', (c) => c.redirect('/today', 302));

  app.get(
    '/today',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'today');
      const day = siteDay(site);
      const [taps, roster, workers, earlier, alerts] = await Promise.all([
        todaysTaps(s, site.siteId, day),
        rosterOf(s, site.siteId).then((roster) => ({ roster })),
        workersOf(s),
        s.api.read(
          s.api.v1.records.$get({
            query: { siteId: site.siteId, from: dayBefore(day, 14), to: dayBefore(day, 1), limit: 1000 },
          }),
        ),
        s.api.read(s.api.v1.alerts.$get()),
      ]);
      const data = {
        sites,
        site,
        day,
        taps,
        onRoster: new Set(roster.roster.map((entry) => entry.workerId)),
        names: namesOf(workers, roster.roster),
        missedExits: earlier.records.filter((record) => record.flags.includes('no_exit')),
        alerts: alerts.alerts,
      };
      return render(
        c,
        s,
        'today',
        s.view.t.pages.today,
        <TodayPage view={s.view} data={data} />,
        `/live?view=today&site=${encodeURIComponent(site.siteId)}`,
      );
    }),
  );

  app.get(
    '/terminals',
    signedIn(async (c, s) => {
      const [terminals, sites] = await Promise.all([s.api.read(s.api.v1.terminals.$get({ query: {} })), sitesOf(s)]);
      return render(
        c,
        s,
        'terminals',
        s.view.t.pages.terminals,
        <TerminalsPage view={s.view} terminals={terminals.terminals} sites={sites} />,
        '/live?view=terminals',
      );
    }),
  );

  app.get(
    '/records',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'records');
      const asked = c.req.query('month');
      const month = asked !== undefined && /^\d{4}-(0[1-9]|1[0-2])$/.test(asked) ? asked : monthOf(siteDay(site));
      const [records, atRisk, workers, roster] = await Promise.all([
        s.api.read(s.api.v1.records.$get({ query: { siteId: site.siteId, month, limit: 1000 } })),
        s.api.read(s.api.v1.records['at-risk'].$get({ query: { siteId: site.siteId } })),
        workersOf(s),
        rosterOf(s, site.siteId).then((roster) => ({ roster })),
      ]);
      return render(
        c,
        s,
        'records',
        s.view.t.pages.records,
        <RecordsPage
          view={s.view}
          sites={sites}
          site={site}
          month={month}
          today={atRisk.today}
          records={records.records}
          atRisk={atRisk.records}
          names={namesOf(workers, roster.roster)}
        />,
      );
    }),
  );

  app.get(
    '/attention',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'attention');
      const today = siteDay(site);
      const [unknown, approvals, recent, refused, held, workers] = await Promise.all([
        s.api.read(s.api.v1['unknown-cards'].$get({ query: { siteId: site.siteId } })),
        s.api.read(s.api.v1.approvals.$get({ query: {} })),
        // CCUS takes input until the end of the month after the working day: older misses cannot be fixed.
        s.api.read(
          s.api.v1.records.$get({
            query: {
              siteId: site.siteId,
              from: `${monthOf(dayBefore(`${monthOf(today)}-01`, 1))}-01`,
              to: dayBefore(today, 1),
              limit: 1000,
            },
          }),
        ),
        s.api.read(s.api.v1.records.$get({ query: { siteId: site.siteId, state: 'refused', limit: 1000 } })),
        s.api.read(s.api.v1.records.$get({ query: { siteId: site.siteId, state: 'held', limit: 1000 } })),
        workersOf(s),
      ]);
      // Held records with their taps, so a person can void one or say when it really was.
      const heldShown = held.records.slice(0, HELD_SHOWN);
      const heldTaps = await Promise.all(
        heldShown.map((record) =>
          s.api
            .read(s.api.v1.records[':siteId'][':workerId'][':workingDay'].taps.$get({ param: record }))
            .then((answer) => answer.taps),
        ),
      );
      const data = {
        sites,
        site,
        today,
        unknownCards: unknown.unknownCards,
        approvals: approvals.approvals.filter((correction) => correction.siteId === site.siteId),
        missedExits: recent.records.filter(
          (record) =>
            (record.flags.includes('no_exit') || record.flags.includes('back_on_site')) &&
            record.ccus?.state !== 'held',
        ),
        refused: refused.records,
        held: heldShown.map((record, i) => ({ record, taps: heldTaps[i] ?? [] })),
        heldMore: held.records.length - heldShown.length,
        // Shown, not held: what a person may still want to look at.
        flagged: recent.records.filter(
          (record) =>
            record.ccus?.state !== 'held' &&
            record.flags.some((flag) => ['no_entry', 'clock_corrected', 'clock_jumped', 'withdrawn'].includes(flag)),
        ),
        workers,
        names: namesOf(workers),
      };
      return render(c, s, 'attention', s.view.t.pages.attention, <AttentionPage view={s.view} data={data} />);
    }),
  );

  app.get(
    '/workers',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      const site = pickSite(sites, c.req.query('site'));
      if (site === null) return noSites(c, s, 'workers');
      const [workers, roster, terminals] = await Promise.all([
        workersOf(s),
        rosterOf(s, site.siteId).then((roster) => ({ roster })),
        s.api.all('terminals', (query) => s.api.v1.terminals.$get({ query })),
      ]);
      return render(
        c,
        s,
        'workers',
        s.view.t.pages.workers,
        <WorkersPage
          view={s.view}
          sites={sites}
          site={site}
          workers={workers}
          roster={roster.roster}
          newWorkerId={/^[0-9]{14}$/.test(c.req.query('workerId') ?? '') ? c.req.query('workerId') : undefined}
          terminals={terminals.filter((terminal) => terminal.siteId === site.siteId)}
        />,
      );
    }),
  );

  app.get(
    '/sites',
    signedIn(async (c, s) =>
      render(c, s, 'sites', s.view.t.pages.sites, <SitesPage view={s.view} sites={await sitesOf(s)} />),
    ),
  );

  app.get(
    '/levels',
    signedIn(async (c, s) => {
      const rows = await s.api.all('levels', (query) => s.api.v1.levels.$get({ query }));
      return render(c, s, 'levels', s.view.t.pages.levels, <LevelsPage view={s.view} rows={rows} />);
    }),
  );

  app.get(
    '/audit',
    signedIn(async (c, s) => {
      const day = (value: string | undefined): string | undefined =>
        value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
      const action = c.req.query('action');
      const text = c.req.query('text')?.trim();
      const filter = {
        ...(action !== undefined && /^[a-z_]{1,40}$/.test(action) ? { action } : {}),
        ...(day(c.req.query('from')) === undefined ? {} : { from: day(c.req.query('from')) as string }),
        ...(day(c.req.query('to')) === undefined ? {} : { to: day(c.req.query('to')) as string }),
        ...(text === undefined || text === '' ? {} : { text: text.slice(0, 100) }),
      };
      const offset = Math.max(0, Number.parseInt(c.req.query('offset') ?? '0', 10) || 0);
      const page = await s.api.read(s.api.v1.audit.$get({ query: { ...filter, limit: 100, offset } }));
      return render(
        c,
        s,
        'audit',
        s.view.t.pages.audit,
        <AuditPage view={s.view} entries={page.audit} filter={filter} nextOffset={page.nextOffset} offset={offset} />,
      );
    }),
  );

  app.get(
    '/exports',
    signedIn(async (c, s) => {
      const sites = await sitesOf(s);
      // The month of the site's working day: between midnight and the day boundary on the 1st,
      // last night's shift is still last month's (the calendar's month only without a site).
      const first = sites[0];
      const month = monthOf(first === undefined ? ccusToday(now()) : siteDay(first));
      return render(c, s, 'exports', s.view.t.pages.exports, <ExportsPage view={s.view} sites={sites} month={month} />);
    }),
  );

  for (const [file, exported] of [
    ['kentaikyo.csv', 'kentaikyo'],
    ['records.csv', 'records'],
  ] as const) {
    app.get(
      `/exports/${file}`,
      signedIn(async (c, s) => {
        // A site the user cannot see is not found, rather than an empty file.
        if ((c.req.query('site') ?? '') !== '') pickSite(await sitesOf(s), c.req.query('site'));
        // What the person asked for goes to the API as it came: the API validates it and names what is wrong.
        const asked = {
          month: c.req.query('month') ?? '',
          siteId: optional(c.req.query('site')),
          encoding: optional(c.req.query('encoding')) as ExportAsked['encoding'],
        };
        const response = await s.api.download(
          s.api.v1.exports[exported].$get({
            // Column names in the reader's language (the 建退共 calendar's are Japanese either way).
            query: file === 'records.csv' ? { ...asked, headers: s.view.lang } : asked,
          }),
        );
        return new Response(response.body, {
          headers: {
            'content-type': response.headers.get('content-type') ?? 'text/csv',
            'content-disposition': response.headers.get('content-disposition') ?? `attachment; filename="${file}"`,
            'cache-control': 'no-store',
          },
        });
      }),
    );
  }

  app.get(
    '/levels.csv',
    signedIn(async (c, s) => {
      const encoding = optional(c.req.query('encoding')) as LevelsAsked['encoding'];
      const response = await s.api.download(
        s.api.v1.exports.levels.$get({
          query: { headers: s.view.lang, ...(encoding === undefined ? {} : { encoding }) },
        }),
      );
      return new Response(response.body, {
        headers: {
          'content-type': response.headers.get('content-type') ?? 'text/csv',
          'content-disposition': response.headers.get('content-disposition') ?? 'attachment; filename="levels.csv"',
          'cache-control': 'no-store',
        },
      });
    }),
  );

  // ---- live pages ---------------------------------------------------------------------

  app.get(
    '/live',
    signedIn(async (c, s) => {
      const view = c.req.query('view');
      if (view === 'today') {
        const site = pickSite(await sitesOf(s), c.req.query('site'));
        if (site === null) throw new DashboardError(404, 'no site');
        return live.stream(c, { siteId: site.siteId });
      }
      if (view === 'terminals') return live.stream(c, { tenantId: s.session.user.tenantId });
      throw new DashboardError(400, 'view must be today or terminals');
    }),
  );
}
