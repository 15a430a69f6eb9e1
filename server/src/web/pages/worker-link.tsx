import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';
import type { WorkerLink } from '../../self-view/worker-link-store.js';
import { SmallAction, type View } from '../layout.js';

/** A personal link just issued: shown once, as a URL and a QR code, with the worker's other links. */
export const WorkerLinkPage: FC<{
  view: View;
  name: string;
  url: string;
  qrSvg: string;
  expiresAt: string;
  links: WorkerLink[];
}> = ({ view, name, url, qrSvg, expiresAt, links }) => {
  const { t, f } = view;
  return (
    <>
      <h1>{t.personalLinkHeading(name)}</h1>
      <p>{t.personalLinkHelp(f.dateTime(expiresAt, 'Asia/Tokyo'))}</p>
      {/* qrcode's own SVG of the URL: nothing of the request in it but the URL it encodes. */}
      <div class="qr" data-testid="link-qr">
        {raw(qrSvg)}
      </div>
      <p>
        <code data-testid="link-url">{url}</code>
      </p>
      <h2>{t.linksHeading}</h2>
      <ul>
        {links.map((link) => (
          <li data-link={String(link.id)}>
            {t.linkIssued(f.dateTime(link.createdAt, 'Asia/Tokyo'))} ·{' '}
            {t.linkUntil(f.dateTime(link.expiresAt, 'Asia/Tokyo'))} ·{' '}
            {link.lastUsedAt === null ? t.linkNeverUsed : t.linkUsed(f.dateTime(link.lastUsedAt, 'Asia/Tokyo'))}
            {link.revokedAt === null ? (
              <SmallAction view={view} action={`/worker-links/${link.id}/revoke`} label={t.revokeLink} />
            ) : (
              <span class="badge">{t.linkRevoked}</span>
            )}
          </li>
        ))}
      </ul>
    </>
  );
};
