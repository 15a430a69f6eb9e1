import type { FC } from 'hono/jsx';
import type { Alert } from '../../alerts/tenant-alerts.js';
import type { Site } from '../../store/directory-store.js';
import type { StoredTap, WorkRecord } from '../../store/record-queries.js';
import { Empty, SitePicker, TableHead, type View } from '../layout.js';
import { AlertBanner } from './alert-banner.js';

export interface TodayData {
  sites: Site[];
  site: Site;
  day: string;
  /** Today's taps at the site, newest first. */
  taps: StoredTap[];
  onRoster: Set<string>;
  names: Map<string, string>;
  /** Earlier days at this site whose exit is still missing. */
  missedExits: WorkRecord[];
  /** What needs a person across the tenant (GET /api/v1/alerts). */
  alerts: Alert[];
}

interface Presence {
  workerId: string;
  firstIn: string | null;
  lastOut: string | null;
  inNow: boolean;
  lastAt: string;
}

/** Who is in, who came and went, from today's taps (oldest first decides the order of events). */
export function presenceOf(taps: StoredTap[]): { present: Presence[]; left: Presence[] } {
  const byWorker = new Map<string, Presence>();
  for (const tap of [...taps].reverse()) {
    if (tap.workerId === null) continue;
    const seen = byWorker.get(tap.workerId) ?? {
      workerId: tap.workerId,
      firstIn: null,
      lastOut: null,
      inNow: false,
      lastAt: tap.at,
    };
    if (tap.direction === 'in') {
      seen.firstIn ??= tap.at;
      seen.inNow = true;
    } else {
      seen.lastOut = tap.at;
      seen.inNow = false;
    }
    seen.lastAt = tap.at;
    byWorker.set(tap.workerId, seen);
  }
  const all = [...byWorker.values()].sort((a, b) => Date.parse(b.lastAt) - Date.parse(a.lastAt));
  return { present: all.filter((p) => p.inNow), left: all.filter((p) => !p.inNow) };
}

export const TodayPage: FC<{ view: View; data: TodayData }> = ({ view, data }) => {
  const { t, f } = view;
  const zone = data.site.timeZone;
  const { present, left } = presenceOf(data.taps);
  const name = (workerId: string | null): string =>
    workerId === null ? t.unknownCard : (data.names.get(workerId) ?? workerId);
  const unknown = new Map<string, { card: string; taps: number; lastAt: string }>();
  for (const tap of data.taps) {
    if (tap.workerId !== null) continue;
    const key = `${tap.card.tech}:${tap.card.id}`;
    const seen = unknown.get(key);
    if (seen === undefined) unknown.set(key, { card: key, taps: 1, lastAt: tap.at });
    else seen.taps += 1;
  }
  const offRoster = [...new Set(data.taps.map((tap) => tap.workerId))].filter(
    (id): id is string => id !== null && !data.onRoster.has(id),
  );
  const attention = unknown.size + offRoster.length + data.missedExits.length;
  return (
    <>
      <h1>
        {t.pages.today} <small>{f.day(data.day)}</small>
      </h1>
      <SitePicker view={view} sites={data.sites} current={data.site} />
      <AlertBanner view={view} alerts={data.alerts} />
      <section class="cards">
        <div class="stat">
          <span class="value" data-testid="present-count">
            {f.number(present.length)}
          </span>
          <span class="label">{t.onSiteNow}</span>
        </div>
        <div class="stat">
          <span class="value">{f.number(left.length)}</span>
          <span class="label">{t.enteredAndLeft}</span>
        </div>
        <div class={attention > 0 ? 'stat warn' : 'stat'}>
          <span class="value">{f.number(attention)}</span>
          <span class="label">{t.needsAttention}</span>
        </div>
      </section>

      <section>
        <h2>{t.onSiteNow}</h2>
        {present.length === 0 ? (
          <Empty>{t.nobodyOnSite}</Empty>
        ) : (
          <ul class="people" data-testid="present">
            {present.map((p) => (
              <li>
                <span class="name">{name(p.workerId)}</span>
                <span class="muted">
                  {t.entered} {f.time(p.firstIn, zone)}
                </span>
                {data.onRoster.has(p.workerId) ? null : <span class="badge warn">{t.flags.not_on_roster}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2>{t.enteredAndLeft}</h2>
        {left.length === 0 ? (
          <Empty>{t.nobodyLeft}</Empty>
        ) : (
          <ul class="people">
            {left.map((p) => (
              <li>
                <span class="name">{name(p.workerId)}</span>
                <span class="muted">
                  {f.time(p.firstIn, zone)} – {f.time(p.lastOut, zone)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2>{t.needsAttention}</h2>
        {attention === 0 ? (
          <Empty>{t.nothingNeedsAttention}</Empty>
        ) : (
          <ul class="people" data-testid="attention">
            {[...unknown.values()].map((u) => (
              <li>
                <span class="badge warn">{t.flags.unknown_card}</span>
                <code>{u.card}</code>
                <span class="muted">
                  {t.tapsCount(f.number(u.taps))} · {f.time(u.lastAt, zone)}
                </span>
                <a href={`/attention?site=${data.site.siteId}`}>{t.bindCard}</a>
              </li>
            ))}
            {offRoster.map((workerId) => (
              <li>
                <span class="badge warn">{t.flags.not_on_roster}</span>
                <span class="name">{name(workerId)}</span>
                <a href={`/workers?site=${data.site.siteId}`}>{t.addToRoster}</a>
              </li>
            ))}
            {data.missedExits.map((record) => (
              <li>
                <span class="badge warn">{t.flags.no_exit}</span>
                <span class="name">{name(record.workerId)}</span>
                <span class="muted">{f.shortDay(record.workingDay)}</span>
                <a href={`/attention?site=${data.site.siteId}`}>{t.fillExit}</a>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section>
        <h2>{t.latestTaps}</h2>
        {data.taps.length === 0 ? (
          <Empty>{t.noTapsToday}</Empty>
        ) : (
          <div class="scroll">
            <table data-testid="taps">
              <TableHead labels={[t.time, t.worker, t.direction, t.terminal]} />
              <tbody>
                {data.taps.slice(0, 50).map((tap) => (
                  <tr class={tap.workerId === null ? 'warn' : undefined}>
                    <td>{f.time(tap.at, zone)}</td>
                    <td>
                      {name(tap.workerId)}
                      {tap.workerId === null ? <code class="muted"> {tap.card.id}</code> : null}
                      {tap.clockSynced ? null : <span class="badge">{t.flags.clock_unsynced}</span>}
                    </td>
                    <td>{tap.direction === 'in' ? t.in : t.out}</td>
                    <td class="muted">{tap.terminalId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
};
