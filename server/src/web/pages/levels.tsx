import type { FC } from 'hono/jsx';
import type { WorkerLevels } from '../../workers/worker-levels.js';
import { Empty, TableHead, type View } from '../layout.js';

/** Level progress per worker and trade: a lower bound of what CCUS counts, with the date the next level comes. */
export const LevelsPage: FC<{ view: View; rows: WorkerLevels[] }> = ({ view, rows }) => {
  const { t, f } = view;
  const lines = rows.flatMap((row) => row.levels.trades.map((trade) => ({ row, trade })));
  return (
    <>
      <h1>{t.pages.levels}</h1>
      <p class="muted">{t.levelsHelp}</p>
      <p>
        <a href="/levels.csv" download>
          {t.levelsCsv}
        </a>
      </p>
      {lines.length === 0 ? <Empty>{t.noWorkers}</Empty> : null}
      <div class="scroll">
        <table data-testid="levels">
          <TableHead labels={[...t.levelColumns]} />
          <tbody>
            {lines.map(({ row, trade }) => (
              <tr data-worker={row.workerId}>
                <td>
                  {row.name} <code>{row.workerId}</code>
                </td>
                <td>{trade.trade}</td>
                <td>{f.number(trade.days)}</td>
                <td>{f.number(trade.leaderDays)}</td>
                <td>{f.number(trade.daysLastYear)}</td>
                <td>
                  <strong>{trade.level}</strong>
                </td>
                <td>
                  {trade.next === null
                    ? t.levelTop
                    : t.levelShort(f.number(trade.next.daysShort), f.number(trade.next.leaderDaysShort))}
                </td>
                <td>
                  {trade.next === null
                    ? '—'
                    : trade.next.expectedOn === null
                      ? t.levelNever
                      : f.day(trade.next.expectedOn)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
};
