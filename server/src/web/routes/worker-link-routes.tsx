import QRCode from 'qrcode';
import { describeFailure } from '../api-client.js';
import type { PageKit } from '../page-kit.js';
import { WorkerLinkPage } from '../pages/worker-link.js';
import { setFlash } from '../session.js';

/**
 * Personal links to the worker self-view, from the workers page: issued, shown once (the URL
 * and a QR code to scan off the screen), and revoked.
 */
export function workerLinkRoutes(kit: PageKit): void {
  const { app, signedIn, render } = kit;

  app.post(
    '/workers/:workerId/link',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const param = { workerId: c.req.param('workerId') ?? '' };
      const sent = await s.api.send(s.api.v1.workers[':workerId'].links.$post({ param, json: {} }));
      if (!sent.ok) {
        setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
        return c.redirect('/workers', 303);
      }
      const { link, path } = sent.data;
      // The address this dashboard was reached at is the one the worker's phone can reach.
      const url = new URL(path, c.req.url).href;
      const [worker, links] = await Promise.all([
        s.api.read(s.api.v1.workers[':workerId'].$get({ param })),
        s.api.read(s.api.v1.workers[':workerId'].links.$get({ param })),
      ]);
      const name = worker.worker.name;
      return render(
        c,
        s,
        'workers',
        t.personalLinkHeading(name),
        <WorkerLinkPage
          view={s.view}
          name={name}
          url={url}
          qrSvg={await QRCode.toString(url, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })}
          expiresAt={link.expiresAt}
          links={links.links}
        />,
      );
    }),
  );

  app.post(
    '/worker-links/:id/revoke',
    signedIn(async (c, s) => {
      const { t } = s.view;
      const sent = await s.api.send(
        s.api.v1['worker-links'][':id'].$delete({ param: { id: c.req.param('id') ?? '' } }),
      );
      if (sent.ok) setFlash(c, 'ok', t.linkRevokedDone);
      else setFlash(c, 'error', `${t.failedPrefix}: ${describeFailure(t, sent.error)}`);
      return c.redirect('/workers', 303);
    }),
  );
}
