import { describeFailure } from '../api-client.js';
import type { PageKit } from '../page-kit.js';
import { WorkerImportPage } from '../pages/worker-import.js';
import { setFlash } from '../session.js';
import { readWorkerCsv } from '../worker-csv.js';

/**
 * Workers from a CSV file: read and checked row by row, shown before anything is written,
 * written all at once when the admin confirms (POST /api/v1/workers/import).
 */
export function workerImportRoutes(kit: PageKit): void {
  const { app, signedIn, render } = kit;

  app.post(
    '/workers/import',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const back = (text: string) => {
        setFlash(c, 'error', text);
        return c.redirect('/workers', 303);
      };
      if (s.session.user.role !== 'admin') return back(t.forbidden);
      const file = (await c.req.parseBody()).file;
      if (!(file instanceof File) || file.size === 0) return back(t.workerImport.importNoFile);
      const csv = readWorkerCsv(new Uint8Array(await file.arrayBuffer()));
      if ('error' in csv) return back(`${t.failedPrefix}: ${csv.error}`);
      const sent = await s.api.send(s.api.v1.workers.import.$post({ json: { workers: csv.rows, apply: false } }));
      if (!sent.ok) return back(`${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
      if (!('preview' in sent.data)) return back(t.serverFailed);
      return render(
        c,
        s,
        'workers',
        t.workerImport.importHeading,
        <WorkerImportPage view={s.view} preview={sent.data} rows={JSON.stringify(csv.rows)} ignored={csv.ignored} />,
      );
    }),
  );

  app.post(
    '/workers/import/confirm',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const form = await c.req.parseBody();
      let rows: unknown;
      try {
        rows = JSON.parse(typeof form.rows === 'string' ? form.rows : '');
      } catch {
        rows = null;
      }
      if (!Array.isArray(rows)) {
        setFlash(c, 'error', t.workerImport.importNoFile);
        return c.redirect('/workers', 303);
      }
      const sent = await s.api.send(s.api.v1.workers.import.$post({ json: { workers: rows, apply: true } }));
      if (sent.ok && 'applied' in sent.data) {
        const { applied } = sent.data;
        setFlash(c, 'ok', t.workerImport.importDone(s.view.f.number(applied.create), s.view.f.number(applied.update)));
      } else if (!sent.ok) setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
      return c.redirect('/workers', 303);
    }),
  );
}
