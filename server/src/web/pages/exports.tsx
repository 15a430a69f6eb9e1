import type { FC } from 'hono/jsx';
import type { Site } from '../../store/directory-store.js';
import type { View } from '../layout.js';

const ExportForm: FC<{ view: View; action: string; sites: Site[]; month: string; title: string; help: string }> = ({
  view,
  action,
  sites,
  month,
  title,
  help,
}) => {
  const { t } = view;
  return (
    <section>
      <h2>{title}</h2>
      <p class="muted">{help}</p>
      <form method="get" action={action} class="stack">
        <label>
          {t.month} <input type="month" name="month" value={month} required />
        </label>
        <label>
          {t.site}{' '}
          <select name="site">
            <option value="">{t.allSites}</option>
            {sites.map((site) => (
              <option value={site.siteId}>{site.name}</option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>{t.encoding}</legend>
          <label>
            <input type="radio" name="encoding" value="utf-8" checked /> UTF-8
          </label>
          <label>
            <input type="radio" name="encoding" value="windows-31j" /> Windows-31J / Shift_JIS ({t.forSpreadsheets})
          </label>
        </fieldset>
        <button type="submit">{t.download}</button>
      </form>
    </section>
  );
};

export const ExportsPage: FC<{ view: View; sites: Site[]; month: string }> = ({ view, sites, month }) => (
  <>
    <h1>{view.t.pages.exports}</h1>
    <ExportForm
      view={view}
      action="/exports/kentaikyo.csv"
      sites={sites}
      month={month}
      title={view.t.kentaikyoCsv}
      help={view.t.kentaikyoHelp}
    />
    <ExportForm
      view={view}
      action="/exports/records.csv"
      sites={sites}
      month={month}
      title={view.t.recordsCsv}
      help={view.t.recordsCsvHelp}
    />
  </>
);
