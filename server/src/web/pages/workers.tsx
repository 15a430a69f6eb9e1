import type { FC } from 'hono/jsx';
import { POSITIONS, type RosterEntry, type Site, type TerminalView, type Worker } from '../../store/directory-store.js';
import { Action, Empty, SitePicker, SmallAction, TableHead, type View } from '../layout.js';

export const WorkersPage: FC<{
  view: View;
  sites: Site[];
  site: Site;
  workers: Worker[];
  roster: RosterEntry[];
  /** The site's terminals, where a worker's new card can be bound by tapping it. */
  terminals?: TerminalView[];
  /** A worker ID to add, when the page was opened from a QR code no one has on their books. */
  newWorkerId?: string | undefined;
}> = ({ view, sites, site, workers, roster, terminals = [], newWorkerId }) => {
  const { t } = view;
  const onRoster = new Set(roster.map((entry) => entry.workerId));
  const positions = (id: string) => (
    <select name="position" id={id}>
      <option value="">—</option>
      {POSITIONS.map((position) => (
        <option value={position}>{t.positions[position]}</option>
      ))}
    </select>
  );
  return (
    <>
      <h1>{t.pages.workers}</h1>
      <SitePicker view={view} sites={sites} current={site} />

      <section>
        <h2>{t.rosterHeading(site.name)}</h2>
        {roster.length === 0 ? (
          <Empty>{t.rosterEmpty}</Empty>
        ) : (
          <div class="scroll">
            <table data-testid="roster">
              <TableHead labels={[t.worker, t.workerId, t.trade, t.position, t.workContent, t.period, t.cards, '']} />
              <tbody>
                {roster.map((entry) => (
                  <tr>
                    <td>{entry.name}</td>
                    <td>
                      <code>{entry.workerId}</code>
                    </td>
                    <td>{entry.trade ?? '—'}</td>
                    <td>{entry.position === null ? '—' : t.positions[entry.position]}</td>
                    <td>{entry.workContent ?? '—'}</td>
                    <td>
                      {entry.periodFrom === null && entry.periodUntil === null
                        ? '—'
                        : `${entry.periodFrom ?? ''} – ${entry.periodUntil ?? ''}`}
                    </td>
                    <td>{entry.cards === 0 ? <span class="badge warn">{t.noCard}</span> : entry.cards}</td>
                    <td>
                      <SmallAction
                        view={view}
                        action="/roster/remove"
                        label={t.removeFromRoster}
                        confirm={t.confirmRemove(entry.name)}
                      >
                        <input type="hidden" name="site" value={site.siteId} />
                        <input type="hidden" name="workerId" value={entry.workerId} />
                      </SmallAction>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Action view={view} action="/roster/add" class="row">
          <input type="hidden" name="site" value={site.siteId} />
          <select name="workerId" required>
            <option value="">{t.chooseWorker}</option>
            {workers.map((worker) => (
              <option value={worker.workerId}>
                {/* With the ID: two workers may share a name. */}
                {worker.name} · {worker.workerId}
                {onRoster.has(worker.workerId) ? ` (${t.onRosterAlready})` : ''}
              </option>
            ))}
          </select>
          <input name="trade" placeholder={t.trade} maxlength={100} list="registered-trades" />
          <datalist id="registered-trades">
            {[...new Set(workers.flatMap((worker) => worker.trades))].map((trade) => (
              <option value={trade} />
            ))}
          </datalist>
          {positions('roster-position')}
          <input name="workContent" placeholder={t.workContent} maxlength={200} />
          <label>
            {t.periodFrom} <input type="date" name="periodFrom" />
          </label>
          <label>
            {t.periodUntil} <input type="date" name="periodUntil" />
          </label>
          <button type="submit">{t.addToRoster}</button>
        </Action>
      </section>

      <section>
        <h2>{t.workersHeading}</h2>
        {workers.length === 0 ? <Empty>{t.noWorkers}</Empty> : null}
        <div class="scroll">
          <table data-testid="workers">
            <TableHead labels={[t.worker, t.workerId, t.trade, t.cards, '']} />
            <tbody>
              {workers.map((worker) => (
                <tr data-worker={worker.workerId}>
                  <td>
                    {worker.name}
                    {worker.position === null ? null : <span class="badge">{t.positions[worker.position]}</span>}
                  </td>
                  <td>
                    <code>{worker.workerId}</code>
                  </td>
                  <td>{worker.trades.length === 0 ? '—' : worker.trades.join('、')}</td>
                  <td>
                    {worker.cards.map((card) => (
                      <div>
                        <code>
                          {card.tech}:{card.id}
                        </code>
                        {view.user.sites !== null ? null : (
                          <SmallAction view={view} action="/cards/remove" label="×" title={t.removeCard}>
                            <input type="hidden" name="tech" value={card.tech} />
                            <input type="hidden" name="card" value={card.id} />
                          </SmallAction>
                        )}
                      </div>
                    ))}
                    <Action view={view} action={`/workers/${worker.workerId}/cards`} class="row">
                      <input name="card" placeholder={t.cardIdPlaceholder} required maxlength={64} size={18} />
                      <button type="submit" class="small">
                        {t.addCard}
                      </button>
                    </Action>
                    {terminals.length === 0 ? null : (
                      <Action view={view} action={`/workers/${worker.workerId}/enrol`} class="row">
                        <select name="terminalId" aria-label={t.enrolAt}>
                          {terminals.map((terminal) => (
                            <option value={terminal.terminalId}>{terminal.terminalId}</option>
                          ))}
                        </select>
                        <button type="submit" class="small secondary">
                          {t.enrolByTap}
                        </button>
                      </Action>
                    )}
                  </td>
                  <td>
                    <SmallAction view={view} action={`/workers/${worker.workerId}/link`} label={t.personalLink} />
                    {view.user.sites !== null ? null : (
                      <SmallAction
                        view={view}
                        action={`/workers/${worker.workerId}/remove`}
                        label={t.removeWorker}
                        confirm={t.confirmRemove(worker.name)}
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {/* The company's books are for an admin of the whole company; a user limited to sites keeps to their rosters. */}
      {view.user.sites !== null ? null : (
        <>
          <section>
            <h2>{t.addWorkerHeading}</h2>
            <Action view={view} action="/workers" class="stack">
              <label>
                {t.workerId}{' '}
                <input
                  name="workerId"
                  required
                  inputmode="numeric"
                  pattern="[0-9]{14}"
                  maxlength={14}
                  value={newWorkerId}
                  autofocus={newWorkerId !== undefined}
                />
              </label>
              <label>
                {t.name} <input name="name" required maxlength={100} />
              </label>
              <label>
                {t.trade} <input name="trades" maxlength={400} placeholder={t.tradesHint} />
              </label>
              <label for="new-worker-position">{t.position}</label>
              {positions('new-worker-position')}
              <button type="submit">{t.addWorker}</button>
            </Action>
          </section>

          <section>
            <h2>{t.workerImport.importHeading}</h2>
            <p class="muted">{t.workerImport.importHelp}</p>
            <form method="post" action="/workers/import" enctype="multipart/form-data" class="stack">
              <input type="hidden" name="_csrf" value={view.csrf} />
              <label>
                {t.workerImport.importFile} <input type="file" name="file" accept=".csv,text/csv" required />
              </label>
              <button type="submit">{t.workerImport.importCheck}</button>
            </form>
          </section>
        </>
      )}
    </>
  );
};
