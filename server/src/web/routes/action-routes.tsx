import { asked, formActions } from '../form-actions.js';
import { dayBefore, type PageKit } from '../page-kit.js';
import { zonedInstant } from '../zoned-time.js';

/** The dashboard's actions: each one API call as the signed-in user, then back to the page with what happened. */
export function actionRoutes(kit: PageKit): void {
  const { optional, action, formSite, notTime, isWallTime, formDay } = formActions(kit);
  const param = (c: { req: { param(name: string): string | undefined } }, name: string): string =>
    c.req.param(name) ?? '';

  action(
    '/terminals/:terminalId/selftest',
    async (_fields, c, s) =>
      s.api.v1.terminals[':terminalId'].commands.$post({
        param: { terminalId: param(c, 'terminalId') },
        json: { command: 'selftest' },
      }),
    (t) => t.selftestSent,
  );

  action(
    '/attention/bind',
    async (fields, _c, s) =>
      s.api.v1.workers[':workerId'].cards.$post({
        param: { workerId: fields.workerId ?? '' },
        json: {
          card: fields.card ?? '',
          ...(optional(fields.tech) === undefined ? {} : { tech: asked(fields.tech) }),
          reason: optional(fields.reason) ?? 'unknown card bound on the dashboard',
        },
      }),
    (t, data) => t.cardBound(String(data.resolvedTaps)),
  );

  action(
    '/attention/exit',
    async (fields, _c, s) => {
      const site = await formSite(s, fields.site);
      const day = formDay(fields.workingDay, 'workingDay', (t) => t.fields.workingDay ?? 'workingDay');
      // The exit, the entry, or both (an exit with no entry, a long shift to put right).
      const entry = optional(fields.entry);
      const exit = entry === undefined ? (fields.time ?? '') : optional(fields.time);
      if (entry !== undefined && !isWallTime(entry)) throw notTime('firstIn');
      if (exit !== undefined && !isWallTime(exit)) throw notTime('lastOut');
      const firstIn = entry === undefined ? optional(fields.firstIn) : zonedInstant(day, entry, site);
      let lastOut = exit === undefined ? null : zonedInstant(day, exit, site);
      // A night shift's exit: a time before the entry is the next morning's.
      if (
        exit !== undefined &&
        lastOut !== null &&
        firstIn !== undefined &&
        Date.parse(lastOut) <= Date.parse(firstIn)
      ) {
        lastOut = zonedInstant(dayBefore(day, -1), exit, site);
      }
      return s.api.v1.corrections.$post({
        json: {
          kind: 'set_times',
          siteId: site.siteId,
          workerId: asked(fields.workerId),
          workingDay: day,
          ...(firstIn === undefined ? {} : { firstIn }),
          ...(lastOut === null ? {} : { lastOut }),
          reason: asked(fields.reason),
        },
      });
    },
    (t, data) => (data.correction.state === 'awaiting_approval' ? t.dayAwaitingApproval : t.exitFilled),
  );

  action(
    '/attention/void-tap',
    async (fields, _c, s) =>
      s.api.v1.corrections.$post({
        json: {
          kind: 'void_tap',
          terminalId: asked(fields.terminalId),
          seq: Number(fields.seq),
          reason: asked(fields.reason),
        },
      }),
    (t) => t.tapVoided,
  );

  action(
    '/attention/tap-time',
    async (fields, _c, s) => {
      const site = await formSite(s, fields.site);
      const day = formDay(fields.day, 'at', (t) => t.reallyAt);
      if (!isWallTime(fields.time ?? '')) throw notTime('at');
      // The calendar day and time as the person read them off a clock at the site.
      return s.api.v1.corrections.$post({
        json: {
          kind: 'set_tap_time',
          terminalId: asked(fields.terminalId),
          seq: Number(fields.seq),
          at: zonedInstant(day, fields.time ?? '', { timeZone: site.timeZone, dayBoundary: '00:00' }),
          reason: asked(fields.reason),
        },
      });
    },
    (t) => t.tapTimeSet,
  );

  action(
    '/attention/add-day',
    async (fields, _c, s) => {
      const site = await formSite(s, fields.site);
      const day = formDay(fields.workingDay, 'workingDay', (t) => t.fields.workingDay ?? 'workingDay');
      if (!isWallTime(fields.firstIn ?? '')) throw notTime('firstIn');
      const lastOut = optional(fields.lastOut);
      if (lastOut !== undefined && !isWallTime(lastOut)) throw notTime('lastOut');
      return s.api.v1.corrections.$post({
        json: {
          kind: 'add_day',
          siteId: site.siteId,
          workerId: asked(fields.workerId),
          workingDay: day,
          firstIn: zonedInstant(day, fields.firstIn ?? '', site),
          lastOut: lastOut === undefined ? null : zonedInstant(day, lastOut, site),
          reason: asked(fields.reason),
        },
      });
    },
    (t, data) => (data.correction.state === 'awaiting_approval' ? t.dayAwaitingApproval : t.dayAdded),
  );

  action(
    '/attention/confirm-clock',
    async (fields, _c, s) =>
      s.api.v1.corrections.$post({
        json: {
          kind: 'confirm_clock',
          siteId: asked(fields.site),
          workerId: asked(fields.workerId),
          workingDay: asked(fields.workingDay),
          reason: asked(fields.reason),
        },
      }),
    (t) => t.clockConfirmed,
  );

  action(
    '/attention/corrections/:id/approve',
    async (fields, c, s) =>
      s.api.v1.corrections[':id'].approve.$post({
        param: { id: param(c, 'id') },
        json: optional(fields.reason) === undefined ? {} : { reason: fields.reason },
      }),
    (t) => t.approved,
  );

  action(
    '/attention/corrections/:id/reject',
    async (fields, c, s) =>
      s.api.v1.corrections[':id'].reject.$post({
        param: { id: param(c, 'id') },
        json: { reason: asked(fields.reason) },
      }),
    (t) => t.rejected,
  );

  action(
    '/records/retry',
    async (fields, _c, s) =>
      s.api.v1.records[':siteId'][':workerId'][':workingDay'].retry.$post({
        param: { siteId: fields.site ?? '', workerId: fields.workerId ?? '', workingDay: fields.workingDay ?? '' },
      }),
    (t) => t.retried,
  );

  action(
    '/workers',
    async (fields, _c, s) =>
      s.api.v1.workers.$post({
        json: {
          workerId: asked(fields.workerId),
          name: asked(fields.name),
          // Up to four registered trades, separated as a person types them.
          ...(optional(fields.trades) === undefined
            ? {}
            : {
                trades: (fields.trades ?? '')
                  .split(/[,、，]/)
                  .map((trade) => trade.trim())
                  .filter((trade) => trade !== ''),
              }),
          ...(optional(fields.position) === undefined ? {} : { position: asked(fields.position) }),
        },
      }),
    (t) => t.saved,
  );

  action(
    '/sites',
    async (fields, _c, s) =>
      s.api.v1.sites.$post({
        json: {
          siteId: asked(fields.siteId),
          name: asked(fields.name),
          dayBoundary: asked(fields.dayBoundary),
          maxShiftHours: Number(fields.maxShiftHours),
          ...(optional(fields.language) === undefined ? {} : { language: asked(fields.language) }),
        },
      }),
    (t) => t.siteSaved,
  );

  action(
    '/sites/:siteId/settings',
    async (fields, c, s) =>
      s.api.v1.sites[':siteId'].$patch({
        param: { siteId: param(c, 'siteId') },
        json: {
          name: asked(fields.name),
          maxShiftHours: Number(fields.maxShiftHours),
          ...(optional(fields.language) === undefined ? {} : { language: asked(fields.language) }),
        },
      }),
    (t) => t.siteSaved,
  );

  action(
    '/sites/:siteId/companies',
    async (fields, c, s) =>
      s.api.v1.sites[':siteId'].companies[':companyId'].$put({
        param: { siteId: param(c, 'siteId'), companyId: fields.companyId ?? '' },
        json: { name: asked(fields.name), tier: Number(fields.tier), parentCompanyId: asked(fields.parentCompanyId) },
      }),
    (t) => t.siteSaved,
  );

  action(
    '/sites/:siteId/companies/:companyId/remove',
    async (_fields, c, s) =>
      s.api.v1.sites[':siteId'].companies[':companyId'].$delete({
        param: { siteId: param(c, 'siteId'), companyId: param(c, 'companyId') },
      }),
    (t) => t.siteSaved,
  );

  action(
    '/terminals/:terminalId/settings',
    async (fields, c, s) =>
      s.api.v1.terminals[':terminalId'].settings.$put({
        param: { terminalId: param(c, 'terminalId') },
        json: {
          directionMode: asked(fields.directionMode),
          debounceSeconds: Number(fields.debounceSeconds),
          unknownCard: asked(fields.unknownCard),
          retentionDays: Number(fields.retentionDays),
        },
      }),
    (t, data) => t.settingsSaved(data.terminal.terminalId),
  );

  action(
    '/workers/:workerId/enrol',
    async (fields, c, s) =>
      s.api.v1.workers[':workerId'].enrol.$post({
        param: { workerId: param(c, 'workerId') },
        json: { terminalId: asked(fields.terminalId) },
      }),
    (t, data) => t.enrolWaiting(data.terminalId),
  );

  action(
    '/workers/:workerId/remove',
    async (_fields, c, s) => s.api.v1.workers[':workerId'].$delete({ param: { workerId: param(c, 'workerId') } }),
    (t) => t.saved,
  );

  action(
    '/workers/:workerId/cards',
    async (fields, c, s) =>
      s.api.v1.workers[':workerId'].cards.$post({
        param: { workerId: param(c, 'workerId') },
        json: { card: fields.card ?? '', ...(optional(fields.tech) === undefined ? {} : { tech: asked(fields.tech) }) },
      }),
    (t, data) => t.cardBound(String(data.resolvedTaps)),
  );

  action(
    '/cards/remove',
    async (fields, _c, s) =>
      s.api.v1.cards[':tech'][':id'].$delete({ param: { tech: asked(fields.tech), id: fields.card ?? '' } }),
    (t) => t.saved,
  );

  action(
    '/roster/add',
    async (fields, _c, s) =>
      s.api.v1.sites[':siteId'].roster[':workerId'].$put({
        param: { siteId: fields.site ?? '', workerId: fields.workerId ?? '' },
        json: {
          ...(optional(fields.trade) === undefined ? {} : { trade: fields.trade }),
          ...(optional(fields.position) === undefined ? {} : { position: asked(fields.position) }),
          ...(optional(fields.workContent) === undefined ? {} : { workContent: fields.workContent }),
          ...(optional(fields.periodFrom) === undefined ? {} : { periodFrom: fields.periodFrom }),
          ...(optional(fields.periodUntil) === undefined ? {} : { periodUntil: fields.periodUntil }),
        },
      }),
    (t) => t.saved,
  );

  action(
    '/roster/remove',
    async (fields, _c, s) =>
      s.api.v1.sites[':siteId'].roster[':workerId'].$delete({
        param: { siteId: fields.site ?? '', workerId: fields.workerId ?? '' },
      }),
    (t) => t.saved,
  );
}
