import type { Context } from 'hono';
import type { ClientResponse } from 'hono/client';
import type { Site } from '../store/directory-store.js';
import { DashboardError, describeFailure, type Sent, type Success } from './api-client.js';
import type { Messages } from './i18n.js';
import { localPath } from './local-path.js';
import type { PageKit, Signed } from './page-kit.js';
import { setFlash } from './session.js';

/**
 * What a person typed in a form, passed on as the API's type: the API validates it and its
 * refusal names the field (describeFailure), so the dashboard does not check it twice.
 */
export const asked = <T,>(value: string | undefined): T => value as T;

/**
 * How a dashboard form becomes one API call: its fields read and trimmed, the admin role
 * checked, the call made as the signed-in user, and the outcome shown on the page it came
 * from. Also what forms share: a site, a day and a time as a person types them.
 */
export function formActions(kit: PageKit) {
  const { app, signedIn, sitesOf, pickSite } = kit;

  const form = async (c: Context): Promise<Record<string, string>> => {
    const body = await c.req.parseBody();
    const fields: Record<string, string> = {};
    // A password is taken as typed: spaces at its ends are part of it.
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string') fields[key] = key === 'password' ? value : value.trim();
    }
    return fields;
  };
  const optional = (value: string | undefined): string | undefined => (value === '' ? undefined : value);

  /** Does one change through the API, then returns to the page with what happened. */
  const action = <R extends ClientResponse<unknown, number, string>>(
    path: string,
    /** The API call, made through the typed client (`s.api.v1`); a DashboardError thrown refuses the form first. */
    change: (fields: Record<string, string>, c: Context, s: Signed) => Promise<R>,
    done: (t: Messages, data: Success<R>, fields: Record<string, string>) => string,
  ): void => {
    app.post(
      path,
      signedIn(async (c, s) => {
        const fields = await form(c);
        const back = localPath(fields.back, '/today');
        const { t } = s.view;
        if (s.session.user.role !== 'admin') {
          setFlash(c, 'error', t.forbidden);
          return c.redirect(back, 303);
        }
        const sent: Sent<Success<R>> = await s.api.send(change(fields, c, s)).catch((error: unknown) => {
          if (error instanceof DashboardError) return { ok: false, error } as const;
          throw error;
        });
        if (sent.ok) setFlash(c, 'ok', done(t, sent.data, fields));
        else setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
        return c.redirect(back, 303);
      }),
    );
  };

  /** The site a form names, as the user sees it (with its time zone for times typed in). */
  const formSite = async (s: Signed, siteId: string | undefined): Promise<Site> => {
    const site = pickSite(await sitesOf(s), siteId ?? '');
    if (site === null) throw new DashboardError(400, 'choose a site', 'siteId', (t) => t.chooseSite);
    return site;
  };
  /** A time typed in a form that is not HH:MM, refused before the API is asked. */
  const notTime = (field: 'firstIn' | 'lastOut' | 'at'): DashboardError =>
    new DashboardError(400, `${field} must be HH:MM`, field, (t) => t.timeFormat(t.fields[field] ?? field));
  /** 00:00 to 23:59, as a clock shows it. */
  const isWallTime = (value: string): boolean => /^([01]\d|2[0-3]):[0-5]\d$/.test(value);
  /** A day typed in a form: YYYY-MM-DD and on the calendar (not 2026-02-30), or a refusal naming the field. */
  const formDay = (value: string | undefined, field: 'workingDay' | 'at', label: (t: Messages) => string): string => {
    const day = value ?? '';
    const parsed = /^\d{4}-\d{2}-\d{2}$/.test(day) ? new Date(`${day}T00:00:00Z`) : null;
    if (parsed === null || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) {
      throw new DashboardError(400, `${field} must be a day as YYYY-MM-DD`, field, (t) => t.dateFormat(label(t)));
    }
    return day;
  };

  return { form, optional, action, formSite, notTime, isWallTime, formDay };
}
