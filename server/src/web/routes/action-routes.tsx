import { formActions } from '../form-actions.js';
import { dayBefore, type PageKit } from '../page-kit.js';
import { zonedInstant } from '../zoned-time.js';

/** The dashboard's actions: each one API call as the signed-in user, then back to the page with what happened. */
export function actionRoutes(kit: PageKit): void {
  const { optional, action, formSite, enc, notTime, isWallTime, formDay } = formActions(kit);

  action(
    '/terminals/:terminalId/selftest',
    async (_fields, c) => ({
      method: 'POST',
      path: `/api/v1/terminals/${enc(c.req.param('terminalId') ?? '')}/commands`,
      body: { command: 'selftest' },
    }),
    (t) => t.selftestSent,
  );

  action(
    '/attention/bind',
    async (fields) => ({
      method: 'POST',
      path: `/api/v1/workers/${enc(fields.workerId ?? '')}/cards`,
      body: {
        card: fields.card,
        ...(optional(fields.tech) === undefined ? {} : { tech: fields.tech }),
        reason: optional(fields.reason) ?? 'unknown card bound on the dashboard',
      },
    }),
    (t, data) => t.cardBound(String(data.resolvedTaps ?? 0)),
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
      return {
        method: 'POST',
        path: '/api/v1/corrections',
        body: {
          kind: 'set_times',
          siteId: site.siteId,
          workerId: fields.workerId,
          workingDay: day,
          ...(entry === undefined ? {} : { firstIn }),
          ...(lastOut === null ? {} : { lastOut }),
          reason: fields.reason,
        },
      };
    },
    (t, data) =>
      (data.correction as { state?: string } | undefined)?.state === 'awaiting_approval'
        ? t.dayAwaitingApproval
        : t.exitFilled,
  );

  action(
    '/attention/void-tap',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/corrections',
      body: { kind: 'void_tap', terminalId: fields.terminalId, seq: Number(fields.seq), reason: fields.reason },
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
      return {
        method: 'POST',
        path: '/api/v1/corrections',
        body: {
          kind: 'set_tap_time',
          terminalId: fields.terminalId,
          seq: Number(fields.seq),
          at: zonedInstant(day, fields.time ?? '', { timeZone: site.timeZone, dayBoundary: '00:00' }),
          reason: fields.reason,
        },
      };
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
      return {
        method: 'POST',
        path: '/api/v1/corrections',
        body: {
          kind: 'add_day',
          siteId: site.siteId,
          workerId: fields.workerId,
          workingDay: day,
          firstIn: zonedInstant(day, fields.firstIn ?? '', site),
          lastOut: lastOut === undefined ? null : zonedInstant(day, lastOut, site),
          reason: fields.reason,
        },
      };
    },
    (t, data) =>
      (data.correction as { state?: string } | undefined)?.state === 'awaiting_approval'
        ? t.dayAwaitingApproval
        : t.dayAdded,
  );

  action(
    '/attention/confirm-clock',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/corrections',
      body: {
        kind: 'confirm_clock',
        siteId: fields.site,
        workerId: fields.workerId,
        workingDay: fields.workingDay,
        reason: fields.reason,
      },
    }),
    (t) => t.clockConfirmed,
  );

  action(
    '/attention/corrections/:id/approve',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/corrections/${enc(c.req.param('id') ?? '')}/approve`,
      body: optional(fields.reason) === undefined ? {} : { reason: fields.reason },
    }),
    (t) => t.approved,
  );

  action(
    '/attention/corrections/:id/reject',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/corrections/${enc(c.req.param('id') ?? '')}/reject`,
      body: { reason: fields.reason },
    }),
    (t) => t.rejected,
  );

  action(
    '/records/retry',
    async (fields) => ({
      method: 'POST',
      path: `/api/v1/records/${enc(fields.site ?? '')}/${enc(fields.workerId ?? '')}/${enc(fields.workingDay ?? '')}/retry`,
    }),
    (t) => t.retried,
  );

  action(
    '/workers',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/workers',
      body: {
        workerId: fields.workerId,
        name: fields.name,
        // Up to four registered trades, separated as a person types them.
        ...(optional(fields.trades) === undefined
          ? {}
          : {
              trades: (fields.trades ?? '')
                .split(/[,、，]/)
                .map((trade) => trade.trim())
                .filter((trade) => trade !== ''),
            }),
        ...(optional(fields.position) === undefined ? {} : { position: fields.position }),
      },
    }),
    (t) => t.saved,
  );

  action(
    '/sites',
    async (fields) => ({
      method: 'POST',
      path: '/api/v1/sites',
      body: {
        siteId: fields.siteId,
        name: fields.name,
        dayBoundary: fields.dayBoundary,
        maxShiftHours: Number(fields.maxShiftHours),
        ...(optional(fields.language) === undefined ? {} : { language: fields.language }),
      },
    }),
    (t) => t.siteSaved,
  );

  action(
    '/sites/:siteId/settings',
    async (fields, c) => ({
      method: 'PATCH',
      path: `/api/v1/sites/${enc(c.req.param('siteId') ?? '')}`,
      body: {
        name: fields.name,
        maxShiftHours: Number(fields.maxShiftHours),
        ...(optional(fields.language) === undefined ? {} : { language: fields.language }),
      },
    }),
    (t) => t.siteSaved,
  );

  action(
    '/sites/:siteId/companies',
    async (fields, c) => ({
      method: 'PUT',
      path: `/api/v1/sites/${enc(c.req.param('siteId') ?? '')}/companies/${enc(fields.companyId ?? '')}`,
      body: { name: fields.name, tier: Number(fields.tier), parentCompanyId: fields.parentCompanyId },
    }),
    (t) => t.siteSaved,
  );

  action(
    '/sites/:siteId/companies/:companyId/remove',
    async (_fields, c) => ({
      method: 'DELETE',
      path: `/api/v1/sites/${enc(c.req.param('siteId') ?? '')}/companies/${enc(c.req.param('companyId') ?? '')}`,
    }),
    (t) => t.siteSaved,
  );

  action(
    '/terminals/:terminalId/settings',
    async (fields, c) => ({
      method: 'PUT',
      path: `/api/v1/terminals/${enc(c.req.param('terminalId') ?? '')}/settings`,
      body: {
        directionMode: fields.directionMode,
        debounceSeconds: Number(fields.debounceSeconds),
        unknownCard: fields.unknownCard,
        retentionDays: Number(fields.retentionDays),
      },
    }),
    (t, data) => t.settingsSaved(String((data.terminal as { terminalId?: string } | undefined)?.terminalId ?? '')),
  );

  action(
    '/workers/:workerId/enrol',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/workers/${enc(c.req.param('workerId') ?? '')}/enrol`,
      body: { terminalId: fields.terminalId },
    }),
    (t, data) => t.enrolWaiting(String(data.terminalId ?? '')),
  );

  action(
    '/workers/:workerId/remove',
    async (_fields, c) => ({ method: 'DELETE', path: `/api/v1/workers/${enc(c.req.param('workerId') ?? '')}` }),
    (t) => t.saved,
  );

  action(
    '/workers/:workerId/cards',
    async (fields, c) => ({
      method: 'POST',
      path: `/api/v1/workers/${enc(c.req.param('workerId') ?? '')}/cards`,
      body: { card: fields.card, ...(optional(fields.tech) === undefined ? {} : { tech: fields.tech }) },
    }),
    (t, data) => t.cardBound(String(data.resolvedTaps ?? 0)),
  );

  action(
    '/cards/remove',
    async (fields) => ({ method: 'DELETE', path: `/api/v1/cards/${enc(fields.tech ?? '')}/${enc(fields.card ?? '')}` }),
    (t) => t.saved,
  );

  action(
    '/roster/add',
    async (fields) => ({
      method: 'PUT',
      path: `/api/v1/sites/${enc(fields.site ?? '')}/roster/${enc(fields.workerId ?? '')}`,
      body: {
        ...(optional(fields.trade) === undefined ? {} : { trade: fields.trade }),
        ...(optional(fields.position) === undefined ? {} : { position: fields.position }),
        ...(optional(fields.workContent) === undefined ? {} : { workContent: fields.workContent }),
        ...(optional(fields.periodFrom) === undefined ? {} : { periodFrom: fields.periodFrom }),
        ...(optional(fields.periodUntil) === undefined ? {} : { periodUntil: fields.periodUntil }),
      },
    }),
    (t) => t.saved,
  );

  action(
    '/roster/remove',
    async (fields) => ({
      method: 'DELETE',
      path: `/api/v1/sites/${enc(fields.site ?? '')}/roster/${enc(fields.workerId ?? '')}`,
    }),
    (t) => t.saved,
  );
}
