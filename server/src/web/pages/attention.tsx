import type { FC } from 'hono/jsx';
import type { Correction } from '../../store/correction-store.js';
import type { Site, Worker } from '../../store/directory-store.js';
import type { StoredTap, UnknownCard, WorkRecord } from '../../store/record-queries.js';
import { Action, Empty, SitePicker, type View } from '../layout.js';

export interface AttentionData {
  sites: Site[];
  site: Site;
  today: string;
  unknownCards: UnknownCard[];
  missedExits: WorkRecord[];
  approvals: Correction[];
  refused: WorkRecord[];
  /** Held records (up to a bound) with their taps; `heldMore` says how many are not shown. */
  held: { record: WorkRecord; taps: StoredTap[] }[];
  heldMore: number;
  /** Records that went to CCUS but carry a flag worth a look. */
  flagged: WorkRecord[];
  workers: Worker[];
  names: Map<string, string>;
}

export const RecordKeyFields: FC<{ record: WorkRecord }> = ({ record }) => (
  <>
    <input type="hidden" name="site" value={record.siteId} />
    <input type="hidden" name="workerId" value={record.workerId} />
    <input type="hidden" name="workingDay" value={record.workingDay} />
  </>
);

/** Each flag as a badge, its meaning beside it. */
const FlagList: FC<{ view: View; record: WorkRecord }> = ({ view, record }) => (
  <ul class="flags">
    {record.flags
      .filter((flag) => flag !== 'manual')
      .map((flag) => (
        <li>
          <span class="badge warn">{view.t.flags[flag]}</span> <small>{view.t.flagHelp[flag]}</small>
        </li>
      ))}
  </ul>
);

/** Entry and exit as a person knows them; an exit before the entry is the next morning's. */
export const TimesForm: FC<{ view: View; record: WorkRecord }> = ({ view, record }) => (
  <Action view={view} action="/attention/exit" class="row">
    <RecordKeyFields record={record} />
    <label>
      {view.t.entryTime} <input type="time" name="entry" />
    </label>
    <label>
      {view.t.exitTime} <input type="time" name="time" />
    </label>
    <input name="reason" placeholder={view.t.reason} required maxlength={300} />
    <button type="submit">{view.t.setTimes}</button>
  </Action>
);

/** A held record's taps: each may be voided, and one from an untrusted clock given its real time. */
const HeldTaps: FC<{ view: View; site: Site; taps: StoredTap[] }> = ({ view, site, taps }) => {
  const { t, f } = view;
  return (
    <ul class="taps">
      {taps.map((tap) => (
        <li data-tap={`${tap.terminalId}/${tap.seq}`}>
          {f.dateTime(tap.at, site.timeZone)} · {tap.direction === 'in' ? t.in : t.out} · {tap.terminalId}
          {tap.counted ? null : <span class="badge"> {t.notCounted}</span>}
          {tap.counted ? (
            <Action view={view} action="/attention/void-tap" class="row">
              <input type="hidden" name="terminalId" value={tap.terminalId} />
              <input type="hidden" name="seq" value={String(tap.seq)} />
              <input name="reason" placeholder={t.reason} required maxlength={300} />
              <button type="submit" class="secondary">
                {t.voidTap}
              </button>
            </Action>
          ) : null}
          {tap.counted && !tap.clockSynced ? (
            <Action view={view} action="/attention/tap-time" class="row">
              <input type="hidden" name="site" value={site.siteId} />
              <input type="hidden" name="terminalId" value={tap.terminalId} />
              <input type="hidden" name="seq" value={String(tap.seq)} />
              <label>
                {t.reallyAt} <input type="date" name="day" required /> <input type="time" name="time" required />
              </label>
              <input name="reason" placeholder={t.reason} required maxlength={300} />
              <button type="submit">{t.setTapTime}</button>
            </Action>
          ) : null}
        </li>
      ))}
    </ul>
  );
};

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
                {card.card.tech === 'qr' ? `${t.unknownQrLabel} ${card.card.id}` : `${card.card.tech}:${card.card.id}`}
              </code>{' '}
              <span class="muted">
                {t.tapsCount(f.number(card.taps))} · {f.dateTime(card.firstAt, zone)} – {f.dateTime(card.lastAt, zone)}
              </span>
            </div>
            {card.card.tech === 'qr' ? (
              <p class="muted">
                {t.unknownQrHelp} <a href={`/workers?workerId=${card.card.id}`}>{t.addWorker}</a>
              </p>
            ) : (
              <Action view={view} action="/attention/bind" class="row">
                <input type="hidden" name="tech" value={card.card.tech} />
                <input type="hidden" name="card" value={card.card.id} />
                <WorkerSelect view={view} workers={data.workers} />
                <input name="reason" placeholder={t.reason} maxlength={300} />
                <button type="submit">{t.bindCard}</button>
              </Action>
            )}
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
            <FlagList view={view} record={record} />
            <Action view={view} action="/attention/exit" class="row">
              <RecordKeyFields record={record} />
              <input type="hidden" name="firstIn" value={record.firstIn ?? ''} />
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
                <small data-testid="not-on-ccus-roster">
                  {t.ccus.notOnCcusRosterHint}
                  <Action view={view} action="/attention/ccus-register">
                    <input type="hidden" name="site" value={record.siteId} />
                    <input type="hidden" name="workerId" value={record.workerId} />
                    <button type="submit" class="small">
                      {t.ccus.registerAndResend}
                    </button>
                  </Action>
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
        {data.held.map(({ record, taps }) => (
          <div class="item" data-record={`${record.workerId}/${record.workingDay}`}>
            <div>
              <strong>{name(record.workerId)}</strong> {f.day(record.workingDay)}{' '}
              <span class="badge warn">{t.states.held}</span> <span class="reason">{record.ccus?.heldReason}</span>
              <br />
              {f.time(record.firstIn, zone)} – {f.time(record.lastOut, zone)}
              <FlagList view={view} record={record} />
              <HeldTaps view={view} site={data.site} taps={taps} />
            </div>
            {record.flags.includes('no_trade') ? (
              <a href={`/workers?site=${record.siteId}`}>{t.setTradeOnRoster}</a>
            ) : (
              <TimesForm view={view} record={record} />
            )}
            {['clock_unsynced', 'clock_jumped', 'long_shift'].some((flag) =>
              record.flags.includes(flag as WorkRecord['flags'][number]),
            ) ? (
              <Action view={view} action="/attention/confirm-clock" class="row">
                <RecordKeyFields record={record} />
                <input name="reason" placeholder={t.reason} required maxlength={300} />
                <button type="submit">{t.confirmTimes}</button>
              </Action>
            ) : null}
          </div>
        ))}
        {data.heldMore > 0 ? <p class="muted">{t.moreNotShown(f.number(data.heldMore))}</p> : null}
      </section>

      <section data-testid="flagged">
        <h2>{t.flaggedHeading(f.number(data.flagged.length))}</h2>
        {data.flagged.length === 0 ? <Empty>{t.none}</Empty> : null}
        {data.flagged.map((record) => (
          <div class="item">
            <div>
              <strong>{name(record.workerId)}</strong> {f.day(record.workingDay)} · {f.time(record.firstIn, zone)} –{' '}
              {f.time(record.lastOut, zone)}
              <FlagList view={view} record={record} />
            </div>
            {record.flags.includes('withdrawn') ? null : <TimesForm view={view} record={record} />}
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
