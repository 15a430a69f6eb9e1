import { GATE_LANGUAGES, type GateLanguage } from '@ccus-gate/protocol';
import type { FC } from 'hono/jsx';
import type { SelfViewMessages } from './self-view-messages.js';

export type CcusShown = 'accepted' | 'waiting' | 'held' | 'notSent';

export interface SelfViewData {
  lang: GateLanguage;
  t: SelfViewMessages;
  /** The page's own path (the token in it); forms post under it. */
  path: string;
  name: string;
  company: string;
  linkUntil: string;
  days25: number;
  daysThisMonth: number;
  levels: {
    trade: string;
    level: number;
    next: { level: number; days: number; leaderDays: number; on: string | null } | null;
  }[];
  records: { day: string; site: string; firstIn: string; lastOut: string; ccus: CcusShown }[];
  taps: { at: string; site: string; direction: 'in' | 'out' }[];
  sites: { siteId: string; name: string }[];
  claims: { day: string; site: string; state: 'awaiting_approval' | 'applied' | 'rejected' }[];
  earliestDay: string;
  today: string;
  flash: { kind: 'ok' | 'error'; text: string } | null;
}

const LANGUAGE_NAMES: Record<GateLanguage, string> = {
  ja: '日本語',
  en: 'English',
  vi: 'Tiếng Việt',
  id: 'Bahasa Indonesia',
};

const Shell: FC<{ lang: string; title: string; children?: unknown }> = ({ lang, title, children }) => (
  <html lang={lang}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{title}</title>
      <link rel="stylesheet" href="/assets/dashboard.css" />
      <script src="/assets/dashboard.js" defer />
    </head>
    <body>
      <main>{children}</main>
    </body>
  </html>
);

/** A worker's own records at one contractor, on their phone, in their language. */
export const SelfViewPage: FC<{ data: SelfViewData }> = ({ data }) => {
  const { t } = data;
  const ccus: Record<CcusShown, string> = {
    accepted: t.ccusAccepted,
    waiting: t.ccusWaiting,
    held: t.ccusHeld,
    notSent: t.ccusNotSent,
  };
  const claimState = { awaiting_approval: t.claimWaiting, applied: t.claimApproved, rejected: t.claimRejected };
  return (
    <Shell lang={t.htmlLang} title={t.title}>
      <nav class="languages" aria-label="language">
        {GATE_LANGUAGES.map((lang) => (
          <a href={`${data.path}?lang=${lang}`} aria-current={lang === data.lang ? 'true' : undefined} lang={lang}>
            {LANGUAGE_NAMES[lang]}
          </a>
        ))}
      </nav>
      <h1>{t.title}</h1>
      <p>{t.hello(data.name, data.company)}</p>
      {data.flash === null ? null : (
        <p class={`flash ${data.flash.kind}`} role="status">
          {data.flash.text}
        </p>
      )}
      <section data-testid="summary">
        <p>
          <strong>{t.days25(String(data.days25))}</strong> · {t.daysThisMonth(String(data.daysThisMonth))}
        </p>
        <ul data-testid="levels">
          {data.levels.map((line) => (
            <li>
              {t.levelLine(line.trade, String(line.level))}
              {line.next === null
                ? null
                : ` · ${t.levelNext(String(line.next.level), String(line.next.days), String(line.next.leaderDays), line.next.on)}`}
            </li>
          ))}
        </ul>
        <p class="muted">{t.levelNote}</p>
      </section>

      <section data-testid="claim">
        <h2>{t.missedHeading}</h2>
        <p class="muted">{t.missedHelp(data.earliestDay)}</p>
        <form method="post" action={`${data.path}/claim`} class="stack">
          <input type="hidden" name="lang" value={data.lang} />
          <label>
            {t.site}
            <select name="site" required>
              {data.sites.map((site) => (
                <option value={site.siteId}>{site.name}</option>
              ))}
            </select>
          </label>
          <label>
            {t.day} <input name="day" type="date" min={data.earliestDay} max={data.today} required />
          </label>
          <label>
            {t.entry} <input name="entry" type="time" required />
          </label>
          <label>
            {t.exit} <input name="exit" type="time" />
          </label>
          <label>
            {t.note} <input name="note" maxlength={200} />
          </label>
          <button type="submit">{t.send}</button>
        </form>
        {data.claims.length === 0 ? null : (
          <>
            <h3>{t.claimsHeading}</h3>
            <ul data-testid="claims">
              {data.claims.map((claim) => (
                <li>
                  {claim.day} · {claim.site} · <strong>{claimState[claim.state]}</strong>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section data-testid="records">
        <h2>{t.recordsHeading}</h2>
        {data.records.length === 0 ? (
          <p class="muted">{t.noRecords}</p>
        ) : (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>{t.day}</th>
                  <th>{t.site}</th>
                  <th>{t.entry}</th>
                  <th>{t.exit}</th>
                  <th>{t.ccus}</th>
                </tr>
              </thead>
              <tbody>
                {data.records.map((record) => (
                  <tr>
                    <td>{record.day}</td>
                    <td>{record.site}</td>
                    <td>{record.firstIn}</td>
                    <td>{record.lastOut}</td>
                    <td>{ccus[record.ccus]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section data-testid="taps">
        <h2>{t.tapsHeading}</h2>
        {data.taps.length === 0 ? (
          <p class="muted">{t.noTaps}</p>
        ) : (
          <ul>
            {data.taps.map((tap) => (
              <li>
                {tap.at} · {tap.direction === 'in' ? t.tapIn : t.tapOut} · {tap.site}
              </li>
            ))}
          </ul>
        )}
      </section>
      <p class="muted">{t.linkUntil(data.linkUntil)}</p>
    </Shell>
  );
};

/** A link that opens nothing, or too many tries: said in the worker's language, nothing else shown. */
export const SelfViewRefusal: FC<{ t: SelfViewMessages; heading: string; text: string }> = ({ t, heading, text }) => (
  <Shell lang={t.htmlLang} title={heading}>
    <h1>{heading}</h1>
    <p>{text}</p>
  </Shell>
);
