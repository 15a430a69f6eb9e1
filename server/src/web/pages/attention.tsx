import type { FC } from 'hono/jsx';
import type { Correction } from '../../store/correction-store.js';
import type { Site, Worker } from '../../store/directory-store.js';
import type { UnknownCard, WorkRecord } from '../../store/record-queries.js';
import { Action, Empty, SitePicker, type View } from '../layout.js';

export interface AttentionData {
  sites: Site[];
  site: Site;
  today: string;
  unknownCards: UnknownCard[];
  missedExits: WorkRecord[];
  approvals: Correction[];
  refused: WorkRecord[];
  held: WorkRecord[];
  workers: Worker[];
  names: Map<string, string>;
}

const RecordKeyFields: FC<{ record: WorkRecord }> = ({ record }) => (
  <>
    <input type="hidden" name="site" value={record.siteId} />
    <input type="hidden" name="workerId" value={record.workerId} />
    <input type="hidden" name="workingDay" value={record.workingDay} />
  </>
);

const WorkerSelect: FC<{ view: View; workers: Worker[]; id?: string }> = ({ view, workers, id }) => (
  <select name="workerId" id={id} required>
    <option value="">{view.t.chooseWorker}</option>
    {workers.map((worker) => (
      <option value={worker.workerId}>
        {worker.name} ({worker.workerId})
      </option>
    ))}
  </select>
);

export const AttentionPage: FC<{ view: View; data: AttentionData }> = ({ view, data }) => {
  const { t, f } = view;
  const zone = data.site.timeZone;
  const name = (workerId: string | null): string => (workerId === null ? '—' : (data.names.get(workerId) ?? workerId));
  return (
    <>
      <h1>{t.pages.attention}</h1>
      <SitePicker view={view} sites={data.sites} current={data.site} />

      <section data-testid="unknown-cards">
        <h2>{t.unknownCardsHeading(f.number(data.unknownCards.length))}</h2>
        <p class="muted">{t.unknownCardsHelp}</p>
        {data.unknownCards.length === 0 ? <Empty>{t.none}</Empty> : null}
        {data.unknownCards.map((card) => (
          <div class="item" data-card={card.card.id}>
            <div>
              <code>
                {card.card.tech}:{card.card.id}
              </code>{' '}
              <span class="muted">
                {t.tapsCount(f.number(card.taps))} · {f.dateTime(card.firstAt, zone)} – {f.dateTime(card.lastAt, zone)}
              </span>
            </div>
            <Action view={view} action="/attention/bind" class="row">
              <input type="hidden" name="tech" value={card.card.tech} />
              <input type="hidden" name="card" value={card.card.id} />
              <WorkerSelect view={view} workers={data.workers} />
              <input name="reason" placeholder={t.reason} maxlength={300} />
              <button type="submit">{t.bindCard}</button>
            </Action>
          </div>
        ))}
      </section>

      <section data-testid="approvals">
        <h2>{t.approvalsHeading(f.number(data.approvals.length))}</h2>
        {data.approvals.length === 0 ? <Empty>{t.none}</Empty> : null}
        {data.approvals.map((correction) => {
          const after = (correction.after ?? {}) as { firstIn?: string | null; lastOut?: string | null };
          return (
            <div class="item" data-correction={correction.id}>
              <div>
                <strong>{name(correction.workerId)}</strong> {correction.workingDay ? f.day(correction.workingDay) : ''}{' '}
                <span class="badge">
                  {t.correctionKinds[correction.kind as keyof typeof t.correctionKinds] ?? correction.kind}
                </span>
                <br />
                {f.time(after.firstIn ?? null, zone)} – {f.time(after.lastOut ?? null, zone)} ·{' '}
                <span class="muted">
                  {correction.actor} ({correction.byTenant}) · {correction.reason}
                </span>
              </div>
              <Action view={view} action={`/attention/corrections/${correction.id}/approve`}>
                <button type="submit">{t.approve}</button>
              </Action>
              <Action view={view} action={`/attention/corrections/${correction.id}/reject`} class="row">
                <input name="reason" placeholder={t.rejectReason} required maxlength={300} />
                <button type="submit" class="secondary">
                  {t.reject}
                </button>
              </Action>
            </div>
          );
        })}
      </section>

      <section data-testid="missed-exits">
        <h2>{t.missedExitsHeading(f.number(data.missedExits.length))}</h2>
        {data.missedExits.length === 0 ? <Empty>{t.none}</Empty> : null}
        {data.missedExits.map((record) => (
          <div class="item">
            <div>
              <strong>{name(record.workerId)}</strong> {f.day(record.workingDay)} · {t.entered}{' '}
              {f.time(record.firstIn, zone)}
            </div>
            <Action view={view} action="/attention/exit" class="row">
              <RecordKeyFields record={record} />
              <label>
                {t.exitTime} <input type="time" name="time" required />
              </label>
              <input name="reason" placeholder={t.reason} required maxlength={300} />
              <button type="submit">{t.fillExit}</button>
            </Action>
          </div>
        ))}
      </section>

      <section data-testid="refusals">
        <h2>{t.refusalsHeading(f.number(data.refused.length + data.held.length))}</h2>
        {data.refused.length + data.held.length === 0 ? <Empty>{t.none}</Empty> : null}
        {data.refused.map((record) => (
          <div class="item">
            <div>
              <strong>{name(record.workerId)}</strong> {f.day(record.workingDay)}{' '}
              <span class="badge bad">{t.states.refused}</span> <span class="reason">{record.ccus?.lastError}</span>
              {record.ccus?.lastError?.startsWith('not_on_roster') ? (
                <small>
                  {t.refusalHint} <a href={`/workers?site=${record.siteId}`}>{t.addToRoster}</a>
                </small>
              ) : null}
              <br />
              <small class="muted">
                {t.deadline}: {f.day(record.deadline)}
              </small>
            </div>
            <Action view={view} action="/records/retry">
              <RecordKeyFields record={record} />
              <button type="submit">{t.retry}</button>
            </Action>
          </div>
        ))}
        {data.held.map((record) => (
          <div class="item">
            <div>
              <strong>{name(record.workerId)}</strong> {f.day(record.workingDay)}{' '}
              <span class="badge warn">{t.states.held}</span> <span class="reason">{record.ccus?.heldReason}</span>
              <br />
              {f.time(record.firstIn, zone)} – {f.time(record.lastOut, zone)}
            </div>
            {record.flags.includes('clock_unsynced') ? (
              <Action view={view} action="/attention/confirm-clock" class="row">
                <RecordKeyFields record={record} />
                <input name="reason" placeholder={t.reason} required maxlength={300} />
                <button type="submit">{t.confirmTimes}</button>
              </Action>
            ) : null}
          </div>
        ))}
      </section>

      <section>
        <h2>{t.addDayHeading}</h2>
        <p class="muted">{t.addDayHelp}</p>
        <Action view={view} action="/attention/add-day" class="stack">
          <input type="hidden" name="site" value={data.site.siteId} />
          <label for="add-day-worker">{t.worker}</label>
          <WorkerSelect view={view} workers={data.workers} id="add-day-worker" />
          <label>
            {t.workingDay} <input type="date" name="workingDay" max={data.today} required />
          </label>
          <label>
            {t.entryTime} <input type="time" name="firstIn" required />
          </label>
          <label>
            {t.exitTime} <input type="time" name="lastOut" />
          </label>
          <label>
            {t.reason} <input name="reason" required maxlength={300} />
          </label>
          <button type="submit">{t.addDay}</button>
        </Action>
      </section>
    </>
  );
};
