import { GATE_LANGUAGES, type GateLanguage, type WorkerId } from '@ccus-gate/protocol';
import { type Context, Hono } from 'hono';
import { type DetectorOptions, detectFromHeader, detectFromQuery } from 'hono/language';
import { secureHeaders } from 'hono/secure-headers';
import type { AddressOf } from '../http/client-address.js';
import type { SignInLimiter } from '../http/sign-in-limiter.js';
import { CorrectionStore } from '../store/correction-store.js';
import type { ServerStores } from '../store/server-stores.js';
import { isStoreError } from '../store/store-error.js';
import { zonedInstant } from '../web/zoned-time.js';
import { todayInJapan, workerLevels } from '../workers/worker-levels.js';
import { SELF_VIEW_MESSAGES, type SelfViewMessages } from './self-view-messages.js';
import { type CcusShown, type SelfViewData, SelfViewPage, SelfViewRefusal } from './self-view-page.js';
import type { LinkHolder } from './worker-link-store.js';

export interface SelfViewDeps {
  stores: Pick<ServerStores, 'workerLinks' | 'directory' | 'queries' | 'corrections'>;
  now: () => Date;
  /** Shared with sign-in: an address that keeps trying tokens that open nothing is held off. */
  limiter: SignInLimiter;
  addressOf: AddressOf;
}

const LANGUAGE: DetectorOptions = {
  order: ['querystring', 'header'],
  lookupQueryString: 'lang',
  lookupCookie: 'unused',
  lookupFromPathIndex: 0,
  lookupFromHeaderKey: 'accept-language',
  caches: false,
  ignoreCase: true,
  fallbackLanguage: 'ja',
  supportedLanguages: [...GATE_LANGUAGES],
  debug: false,
};

/** 25 months back: as far as CCUS keeps the worker's history shown. */
const HISTORY_MONTHS = 25;
const RECENT_TAP_DAYS = 14;

const languageOf = (c: Context): GateLanguage =>
  (detectFromQuery(c, LANGUAGE) ?? detectFromHeader(c, LANGUAGE) ?? 'ja') as GateLanguage;

/** Day arithmetic on YYYY-MM-DD. */
const shiftDays = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The worker self-view: `/w/{token}`, a personal link a contractor issued (worker-link-store.ts).
 * No password and no cookie: the token is the key, so the page sends no referrer (it would
 * carry the token away), is never cached and asks not to be indexed. Tokens that open
 * nothing count against the address like failed sign-ins.
 */
export function createSelfView(deps: SelfViewDeps): Hono {
  const { stores: store, limiter } = deps;
  const app = new Hono();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  );
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Robots-Tag', 'noindex');
  });

  /** The link's holder, or the answer to give instead (too many tries, a link that opens nothing). */
  const open = async (c: Context, t: SelfViewMessages): Promise<LinkHolder | Response> => {
    const attempt = { address: deps.addressOf(c) };
    if (limiter.blockedFor(attempt) > 0) {
      return c.html(<SelfViewRefusal t={t} heading={t.tooMany} text={t.tooMany} />, 429);
    }
    const holder = await store.workerLinks.holder(c.req.param('token') ?? '');
    if (holder === null) {
      limiter.fail(attempt);
      return c.html(<SelfViewRefusal t={t} heading={t.badLink} text={t.badLinkHelp} />, 404);
    }
    return holder;
  };

  const page = async (
    c: Context,
    holder: LinkHolder,
    lang: GateLanguage,
    flash: SelfViewData['flash'],
    status: 200 | 422 = 200,
  ): Promise<Response> => {
    const t = SELF_VIEW_MESSAGES[lang];
    const scope = { tenantId: holder.tenantId, companyId: holder.companyId };
    const sites = await store.directory.sites(scope);
    const siteOf = new Map(sites.map((site) => [site.siteId, site]));
    const zone = sites[0]?.timeZone ?? 'Asia/Tokyo';
    const today = dayIn(deps.now(), zone);
    const from = monthsBack(today, HISTORY_MONTHS);
    const worker = await store.directory.worker(scope, holder.workerId);
    const [records, taps, corrections, levels] = await Promise.all([
      store.queries.records(scope, { workerId: holder.workerId, from, limit: 1_000, offset: 0 }),
      store.queries.taps(scope, {
        workerId: holder.workerId,
        from: shiftDays(today, -RECENT_TAP_DAYS),
        limit: 200,
        offset: 0,
      }),
      store.corrections.corrections(scope, { limit: 200, offset: 0 }),
      workerLevels(store, scope, [worker], todayInJapan(deps.now())),
    ]);
    const clock = (at: string | null, siteId: string): string =>
      at === null ? '—' : timeIn(at, siteOf.get(siteId)?.timeZone ?? zone);
    const ccusOf = (state: string | undefined): CcusShown =>
      state === 'accepted'
        ? 'accepted'
        : state === 'held' || state === 'refused'
          ? 'held'
          : state === undefined
            ? 'notSent'
            : 'waiting';
    const worked = records.filter((record) => record.firstIn !== null);
    const data: SelfViewData = {
      lang,
      t,
      path: `/w/${c.req.param('token')}`,
      name: worker.name,
      company: holder.tenantName,
      linkUntil: holder.expiresAt.slice(0, 10),
      days25: worked.length,
      daysThisMonth: worked.filter((record) => record.workingDay.startsWith(today.slice(0, 7))).length,
      levels: (levels[0]?.levels.trades ?? []).map((trade) => ({
        trade: trade.trade,
        level: trade.level,
        next:
          trade.next === null
            ? null
            : {
                level: trade.next.level,
                days: trade.next.daysShort,
                leaderDays: trade.next.leaderDaysShort,
                on: trade.next.expectedOn,
              },
      })),
      records: records.map((record) => ({
        day: record.workingDay,
        site: siteOf.get(record.siteId)?.name ?? record.siteId,
        firstIn: clock(record.firstIn, record.siteId),
        lastOut: clock(record.lastOut, record.siteId),
        ccus: ccusOf(record.ccus?.state),
      })),
      taps: taps
        .filter((tap) => tap.counted)
        .map((tap) => ({
          at: `${dayIn(new Date(tap.at), siteOf.get(tap.siteId)?.timeZone ?? zone).slice(5)} ${clock(tap.at, tap.siteId)}`,
          site: siteOf.get(tap.siteId)?.name ?? tap.siteId,
          direction: tap.direction === 'out' ? 'out' : 'in',
        })),
      sites: sites.map((site) => ({ siteId: site.siteId, name: site.name })),
      claims: corrections
        // The worker's own claims (marked so by claimDay), not what others entered for them.
        .filter(
          (correction) =>
            correction.workerId === holder.workerId && (correction.after as { byWorker?: unknown })?.byWorker === true,
        )
        .map((correction) => ({
          day: correction.workingDay ?? '',
          site: siteOf.get(correction.siteId)?.name ?? correction.siteId,
          state: correction.state,
        })),
      // CCUS takes a record until the end of the month after its working day.
      earliestDay: `${monthsBack(today, 1).slice(0, 7)}-01`,
      today,
      flash,
    };
    return c.html(`<!doctype html>${<SelfViewPage data={data} />}`, status);
  };

  app.get('/:token', async (c) => {
    const lang = languageOf(c);
    const holder = await open(c, SELF_VIEW_MESSAGES[lang]);
    if (holder instanceof Response) return holder;
    const sent = c.req.query('sent') === '1';
    return page(c, holder, lang, sent ? { kind: 'ok', text: SELF_VIEW_MESSAGES[lang].sent } : null);
  });

  app.post('/:token/claim', async (c) => {
    const form = await c.req.parseBody();
    const field = (name: string): string => (typeof form[name] === 'string' ? (form[name] as string).trim() : '');
    const lang = (GATE_LANGUAGES as readonly string[]).includes(field('lang'))
      ? (field('lang') as GateLanguage)
      : languageOf(c);
    const t = SELF_VIEW_MESSAGES[lang];
    const holder = await open(c, t);
    if (holder instanceof Response) return holder;
    const scope = { tenantId: holder.tenantId, companyId: holder.companyId };
    const site = (await store.directory.sites(scope)).find((s) => s.siteId === field('site'));
    const day = field('day');
    const entry = field('entry');
    const exit = field('exit');
    const wall = /^([01]\d|2[0-3]):[0-5]\d$/;
    if (site === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) {
      return page(c, holder, lang, { kind: 'error', text: t.badDay }, 422);
    }
    if (!wall.test(entry) || (exit !== '' && !wall.test(exit))) {
      return page(c, holder, lang, { kind: 'error', text: t.badTime }, 422);
    }
    // The times as read off a clock at the site; an exit before the entry is the next morning's.
    const rule = { timeZone: site.timeZone, dayBoundary: '00:00' };
    const firstIn = zonedInstant(day, entry, rule);
    let lastOut = exit === '' ? null : zonedInstant(day, exit, rule);
    if (lastOut !== null && Date.parse(lastOut) <= Date.parse(firstIn))
      lastOut = zonedInstant(shiftDays(day, 1), exit, rule);
    const note = field('note').slice(0, 200);
    try {
      await store.corrections.claimDay(
        { ...scope, name: claimant(holder) },
        {
          siteId: site.siteId,
          workerId: holder.workerId as WorkerId,
          workingDay: day,
          firstIn,
          lastOut,
          reason: note === '' ? 'forgot the card (reported by the worker)' : `worker: ${note}`,
        },
      );
    } catch (error) {
      if (!isStoreError(error)) throw error;
      return page(c, holder, lang, { kind: 'error', text: t.refused(error.message) }, 422);
    }
    return c.redirect(`/w/${c.req.param('token')}?lang=${lang}&sent=1`, 303);
  });

  return app;
}

/** Who a claim is from, in the audit trail and on the dashboard: the worker, by their link. */
function claimant(holder: LinkHolder): string {
  return CorrectionStore.claimant(holder.workerId);
}

function dayIn(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

function timeIn(at: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(at),
  );
}

/** The first day of the month `months` before `day`'s month. */
function monthsBack(day: string, months: number): string {
  const [year, month] = day.split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(year, month - 1 - months, 1));
  return first.toISOString().slice(0, 10);
}
