import type { InferResponseType } from 'hono/client';
import type { FC } from 'hono/jsx';
import type { ApiV1 } from '../api-client.js';
import { Empty, TableHead, type View } from '../layout.js';

/** The API's preview of a worker import (apply: false). */
export type ImportPreview = Extract<InferResponseType<ApiV1['workers']['import']['$post'], 200>, { preview: unknown }>;

/**
 * What an import of workers would do, before anything is written: new workers, changes to
 * the tenant's own, and every bad row with its line and field. Confirming sends the same
 * rows again; with any bad row there is nothing to confirm.
 */
export const WorkerImportPage: FC<{ view: View; preview: ImportPreview; rows: string; ignored: string[] }> = ({
  view,
  preview,
  rows,
  ignored,
}) => {
  const { t, f } = view;
  const { create, update, unchanged } = preview.preview;
  return (
    <>
      <h1>{t.workerImport.importHeading}</h1>
      <p data-testid="import-summary">
        {t.workerImport.importSummary(f.number(create), f.number(update), f.number(unchanged))}
      </p>
      {ignored.length === 0 ? null : <p class="muted">{t.workerImport.importIgnored(ignored.join(', '))}</p>}
      {preview.errorCount === 0 ? null : (
        <section>
          <h2 class="warn">{t.workerImport.importErrors(f.number(preview.errorCount))}</h2>
          <div class="scroll">
            <table data-testid="import-errors">
              <TableHead
                labels={[t.workerImport.importRow, t.workerImport.importField, t.workerImport.importProblem]}
              />
              <tbody>
                {preview.errors.map((e) => (
                  <tr>
                    {/* The file's line: its header is line 1. */}
                    <td>{e.row + 1}</td>
                    <td>
                      <code>{e.field}</code>
                    </td>
                    <td>{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <section>
        <h2>{t.workerImport.importNew}</h2>
        {create === 0 ? <Empty>—</Empty> : null}
        <ul data-testid="import-new">
          {preview.create.map((w) => (
            <li>
              <code>{w.workerId}</code> {w.name} {w.trades.join('、')}
            </li>
          ))}
        </ul>
        <h2>{t.workerImport.importChanged}</h2>
        {update === 0 ? <Empty>—</Empty> : null}
        <ul data-testid="import-changed">
          {preview.update.map((w) => (
            <li>
              <code>{w.workerId}</code> {w.before.name} {w.before.trades.join('、')} → {w.name} {w.trades.join('、')}
            </li>
          ))}
        </ul>
      </section>
      {preview.errorCount > 0 || create + update === 0 ? (
        <p>
          <a href="/workers">{t.workerImport.importBack}</a>
        </p>
      ) : (
        <form method="post" action="/workers/import/confirm" class="stack">
          <input type="hidden" name="_csrf" value={view.csrf} />
          <input type="hidden" name="rows" value={rows} />
          <button type="submit">{t.workerImport.importConfirm(f.number(create + update))}</button>
        </form>
      )}
    </>
  );
};
