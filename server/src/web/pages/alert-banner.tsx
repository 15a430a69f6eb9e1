import type { FC } from 'hono/jsx';
import type { Alert } from '../../alerts/tenant-alerts.js';
import type { View } from '../layout.js';

/** Where each alert is put right. */
const FIX: Record<Alert['kind'], string> = {
  terminal_offline: '/terminals',
  taps_waiting: '/terminals',
  terminal_disk: '/terminals',
  records_refused: '/attention',
  records_held: '/attention',
  deadline_near: '/records',
  unknown_cards: '/attention',
};

/** What needs a person across the tenant, worst first, each with a link to where it is put right. */
export const AlertBanner: FC<{ view: View; alerts: Alert[] }> = ({ view, alerts }) => {
  const { t, f } = view;
  if (alerts.length === 0) return null;
  return (
    <section class="alerts" role="status" data-testid="alerts">
      <ul>
        {alerts.map((alert) => (
          <li class={alert.severity} data-alert={alert.kind}>
            <a href={FIX[alert.kind]}>
              {t.alerts[alert.kind](
                alert.terminalId ?? '',
                f.number(alert.count),
                f.dateTime(alert.since, 'Asia/Tokyo'),
              )}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
};
