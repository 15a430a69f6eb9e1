import type { FC } from 'hono/jsx';
import type { AuditEntry } from '../../store/correction-store.js';
import { Empty, TableHead, type View } from '../layout.js';

/** Actions the trail holds, for the filter; the trail itself may hold others (shown as they are). */
export const AUDIT_ACTIONS = [
  'add_day',
  'set_times',
  'set_tap_time',
  'set_trade',
  'void_tap',
  'confirm_clock',
  'approve',
  'reject',
  'retry_record',
  'bind_card',
  'remove_card',
  'add_worker',
  'update_worker',
  'remove_worker',
  'import_workers',
  'add_to_roster',
  'remove_from_roster',
  'load_roster',
  'create_site',
  'update_site',
  'put_site_company',
  'remove_site_company',
  'terminal_settings',
  'lease_terminal',
  'provision_terminal',
  'create_user',
  'remove_user',
  'reset_password',
  'clear_two_factor',
  'create_token',
  'revoke_token',
] as const;

/** Accounts and the trail belong to a tenant, not a site: their times are shown in Japan's. */
const AUDIT_ZONE = 'Asia/Tokyo';

/**
 * Who changed what, when and why: every correction, approval and change to the tenant's
 * books, newest first, filtered by action, days and text; before and after on demand.
 */
export const AuditPage: FC<{
  view: View;
  entries: AuditEntry[];
  filter: { action?: string; from?: string; to?: string; text?: string };
  nextOffset: number | null;
  offset: number;
}> = ({ view, entries, filter, nextOffset, offset }) => {
  const { t, f } = view;
  const query = (more: number): string =>
    `?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)), offset: String(more) })}`;
  return (
    <>
      <h1>{t.pages.audit}</h1>
      <form method="get" class="picker">
        <label>
          {t.auditAction}{' '}
          <select name="action">
            <option value="">{t.auditAllActions}</option>
            {AUDIT_ACTIONS.map((action) => (
              <option value={action} selected={filter.action === action}>
                {action}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.auditFrom} <input type="date" name="from" value={filter.from ?? ''} />
        </label>
        <label>
          {t.auditTo} <input type="date" name="to" value={filter.to ?? ''} />
        </label>
        <label>
          {t.auditText} <input name="text" value={filter.text ?? ''} maxlength={100} />
        </label>
        <button type="submit" class="secondary">
          {t.show}
        </button>
      </form>
      <section>
        {entries.length === 0 ? <Empty>{t.auditNone}</Empty> : null}
        <div class="scroll">
          <table data-testid="audit">
            <TableHead labels={[t.auditAt, t.auditActor, t.auditAction, t.auditTarget, t.auditReason, t.auditChange]} />
            <tbody>
              {entries.map((entry) => (
                <tr data-action={entry.action}>
                  <td>{f.dateTime(entry.at, AUDIT_ZONE)}</td>
                  <td>{entry.actor}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>{entry.target}</td>
                  <td>{entry.reason ?? '—'}</td>
                  <td>
                    {entry.before === null && entry.after === null ? (
                      '—'
                    ) : (
                      <details>
                        <summary>{t.auditShow}</summary>
                        <pre class="change">
                          {entry.before === null ? '' : `${t.auditBefore}: ${JSON.stringify(entry.before, null, 1)}\n`}
                          {entry.after === null ? '' : `${t.auditAfter}: ${JSON.stringify(entry.after, null, 1)}`}
                        </pre>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          {offset > 0 ? <a href={query(Math.max(0, offset - 100))}>{t.auditNewer}</a> : null}{' '}
          {nextOffset === null ? null : <a href={query(nextOffset)}>{t.auditOlder}</a>}
        </p>
      </section>
    </>
  );
};
