import type { FC } from 'hono/jsx';
import type { Position, Site } from '../../store/directory-store.js';
import type { WorkRecord } from '../../store/record-queries.js';
import { Action, Empty, SitePicker, TableHead, type View } from '../layout.js';
import { TimesForm } from './attention.js';

export const StateBadge: FC<{ view: View; record: WorkRecord }> = ({ view, record }) => {
  const { t } = view;
  const state = record.ccus?.state ?? null;
  const tone =
    state === 'accepted' ? 'ok' : state === 'refused' ? 'bad' : state === 'held' || state === 'retrying' ? 'warn' : '';
  return (
    <span class={`badge ${tone}`} data-state={state ?? 'none'}>
      {state === null ? t.notQueued : t.states[state]}
    </span>
  );
};

const RecordRows: FC<{ view: View; site: Site; records: WorkRecord[]; names: Map<string, string>; today: string }> = ({
  view,
  site,
  records,
  names,
  today,
}) => {
  const { t, f } = view;
  return (
    <div class="scroll">
      <table data-testid="records">
        <TableHead
          labels={[
            t.workingDay,
            t.worker,
            t.in,
            t.out,
            t.trade,
            t.position,
            t.flagsHeading,
            t.ccusState,
            t.deadline,
            '',
          ]}
        />
        <tbody>
          {records.map((record) => (
            <tr>
              <td>{f.shortDay(record.workingDay)}</td>
              <td>{names.get(record.workerId) ?? record.workerId}</td>
              <td>{f.time(record.firstIn, site.timeZone)}</td>
              <td>{f.time(record.lastOut, site.timeZone)}</td>
              <td>{record.trade ?? '—'}</td>
              <td>{record.position === null ? '—' : (t.positions[record.position as Position] ?? record.position)}</td>
              <td>
                {record.flags.map((flag) => (
                  <span class="badge" title={t.flagHelp[flag]}>
                    {t.flags[flag]}
                  </span>
                ))}
              </td>
              <td>
                <StateBadge view={view} record={record} />
                {record.ccus?.state === 'refused' || record.ccus?.state === 'retrying' ? (
                  <small class="reason">{record.ccus.lastError}</small>
                ) : null}
                {record.ccus?.state === 'held' ? <small class="reason">{record.ccus.heldReason}</small> : null}
                {record.ccus?.state === 'refused' ? (
                  <Action view={view} action="/records/retry">
                    <input type="hidden" name="site" value={record.siteId} />
                    <input type="hidden" name="workerId" value={record.workerId} />
                    <input type="hidden" name="workingDay" value={record.workingDay} />
                    <button type="submit" class="small">
                      {t.retry}
                    </button>
                  </Action>
                ) : null}
              </td>
              <td class={record.ccus?.state !== 'accepted' && record.deadline < today ? 'bad' : undefined}>
                {f.day(record.deadline)}
              </td>
              <td>
                {/* Any record's times can be put right (a correction, audited; a sub's waits for the prime). */}
                {view.user.role === 'admin' ? (
                  <details data-correct={`${record.workerId}/${record.workingDay}`}>
                    <summary>{t.correctTimes}</summary>
                    <TimesForm view={view} record={record} />
                  </details>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};

export const RecordsPage: FC<{
  view: View;
  sites: Site[];
  site: Site;
  month: string;
  today: string;
  records: WorkRecord[];
  atRisk: WorkRecord[];
  names: Map<string, string>;
}> = ({ view, sites, site, month, today, records, atRisk, names }) => {
  const { t, f } = view;
  const counts = new Map<string, number>();
  for (const record of records) {
    const state = record.ccus?.state ?? 'none';
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return (
    <>
      <h1>{t.pages.records}</h1>
      <SitePicker
        view={view}
        sites={sites}
        current={site}
        extra={
          <label>
            {t.month} <input type="month" name="month" value={month} required />
          </label>
        }
      />
      {atRisk.length > 0 ? (
        <section class="risk">
          <h2>{t.atRisk(f.number(atRisk.length))}</h2>
          <p class="muted">{t.atRiskHelp}</p>
          <RecordRows view={view} site={site} records={atRisk} names={names} today={today} />
        </section>
      ) : null}
      <section>
        <h2>
          {f.month(month)} <small>{t.recordsCount(f.number(records.length))}</small>
        </h2>
        <p class="summary">
          {[...counts.entries()].map(([state, count]) => (
            <span class="badge">
              {state === 'none' ? t.notQueued : t.states[state as keyof typeof t.states]} {f.number(count)}
            </span>
          ))}
        </p>
        {records.length === 0 ? (
          <Empty>{t.noRecords}</Empty>
        ) : (
          <RecordRows view={view} site={site} records={records} names={names} today={today} />
        )}
      </section>
    </>
  );
};
