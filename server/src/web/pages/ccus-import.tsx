import type { FC } from 'hono/jsx';
import type { ImportedPlace, RosterImportPlan } from '../../ccus/roster-import.js';
import type { Site } from '../../store/directory-store.js';
import { Action, Empty, TableHead, type View } from '../layout.js';

type Place = Pick<ImportedPlace, 'trade' | 'position' | 'workContent'>;

const PlaceCells: FC<{ view: View; place: Place }> = ({ view, place }) => (
  <>
    <td>{place.trade ?? '—'}</td>
    <td>{place.position === null ? '—' : view.t.positions[place.position]}</td>
    <td>{place.workContent ?? '—'}</td>
  </>
);

/**
 * What importing CCUS's roster of a site would change here, before anything changes: workers
 * added (new on the books or not), places changed (now and as CCUS has them), those left out
 * with why, and those only on our roster. Confirming sends the preview's digest, so a roster
 * that changed meanwhile is shown again instead of applied.
 */
export const CcusImportPage: FC<{ view: View; site: Site; plan: RosterImportPlan }> = ({ view, site, plan }) => {
  const { t, f } = view;
  const w = t.ccus;
  const heads = [t.workerId, t.name, t.trade, t.position, t.workContent];
  return (
    <>
      <h1>{w.importHeading(site.name)}</h1>
      <p class="muted">{w.importHelp}</p>
      <p data-testid="ccus-import-summary">
        {w.add(f.number(plan.add.length))} · {w.change(f.number(plan.change.length))} ·{' '}
        {w.unchanged(f.number(plan.unchanged))}
      </p>
      <section>
        <h2>{w.add(f.number(plan.add.length))}</h2>
        {plan.add.length === 0 ? <Empty>—</Empty> : null}
        <div class="scroll">
          <table data-testid="ccus-import-add">
            <TableHead labels={[...heads, '']} />
            <tbody>
              {plan.add.map((place) => (
                <tr data-worker={place.workerId}>
                  <td>
                    <code>{place.workerId}</code>
                  </td>
                  <td>{place.name}</td>
                  <PlaceCells view={view} place={place} />
                  <td>{place.books === 'create' ? <span class="badge">{w.newOnBooks}</span> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section>
        <h2>{w.change(f.number(plan.change.length))}</h2>
        {plan.change.length === 0 ? <Empty>—</Empty> : null}
        <div class="scroll">
          <table data-testid="ccus-import-change">
            <TableHead labels={[t.workerId, t.name, '', t.trade, t.position, t.workContent]} />
            <tbody>
              {plan.change.flatMap((place) => [
                <tr data-worker={place.workerId}>
                  <td>
                    <code>{place.workerId}</code>
                  </td>
                  <td>{place.before.name}</td>
                  <td class="muted">{w.before}</td>
                  <PlaceCells view={view} place={place.before} />
                </tr>,
                <tr data-worker={place.workerId}>
                  <td />
                  <td>{place.name}</td>
                  <td>
                    <strong>{w.after}</strong>
                  </td>
                  <PlaceCells view={view} place={place} />
                </tr>,
              ])}
            </tbody>
          </table>
        </div>
      </section>
      {plan.skipped.length === 0 ? null : (
        <section>
          <h2>{w.skipped(f.number(plan.skipped.length))}</h2>
          <ul data-testid="ccus-import-skipped">
            {plan.skipped.map((s) => (
              <li>
                <code>{s.workerId}</code> {s.name}: {s.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      {plan.onlyHere.length === 0 ? null : (
        <section>
          <h2>{w.onlyHere(f.number(plan.onlyHere.length))}</h2>
          <ul data-testid="ccus-import-only-here">
            {plan.onlyHere.map((s) => (
              <li>
                <code>{s.workerId}</code> {s.name}
              </li>
            ))}
          </ul>
          {/* What CCUS lacks is usually what to send it: the fix for their records' refusals too. */}
          <Action view={view} action={`/sites/${site.siteId}/ccus-register`}>
            <input type="hidden" name="workerIds" value={plan.onlyHere.map((s) => s.workerId).join(',')} />
            <button type="submit" class="small">
              {w.registerOnlyHere}
            </button>
          </Action>
        </section>
      )}
      {plan.add.length + plan.change.length === 0 ? (
        <p>{w.nothingToDo}</p>
      ) : (
        <Action view={view} action={`/sites/${site.siteId}/ccus-import`} class="stack">
          <input type="hidden" name="digest" value={plan.digest} />
          <button type="submit">{w.confirm}</button>
        </Action>
      )}
      <p>
        <a href="/sites">{t.pages.sites}</a>
      </p>
    </>
  );
};
