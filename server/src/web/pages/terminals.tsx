import { DIRECTION_MODES, type OnlineStatus } from '@ccus-gate/protocol';
import type { FC } from 'hono/jsx';
import type { Site, TerminalView } from '../../store/directory-store.js';
import { healthWarnings } from '../../terminals/health-warnings.js';
import { Action, Empty, type View } from '../layout.js';

export const TerminalsPage: FC<{ view: View; terminals: TerminalView[]; sites: Site[] }> = ({
  view,
  terminals,
  sites,
}) => {
  const { t, f } = view;
  const siteOf = new Map(sites.map((site) => [site.siteId, site]));
  return (
    <>
      <h1>{t.pages.terminals}</h1>
      {terminals.length === 0 ? <Empty>{t.noTerminals}</Empty> : null}
      <div class="grid">
        {terminals.map((terminal) => {
          const site = terminal.siteId === null ? undefined : siteOf.get(terminal.siteId);
          const zone = site?.timeZone ?? 'Asia/Tokyo';
          const status = terminal.status as OnlineStatus | { state: 'offline' } | null;
          const online = status?.state === 'online' ? status : null;
          const rosterCurrent = online !== null && site !== undefined && online.rosterVersion !== null;
          return (
            <article class="terminal" data-terminal={terminal.terminalId}>
              <h2>
                {terminal.terminalId}{' '}
                <span class={online === null ? 'badge bad' : 'badge ok'}>{online === null ? t.offline : t.online}</span>
              </h2>
              <dl>
                <dt>{t.site}</dt>
                <dd>{site?.name ?? '—'}</dd>
                <dt>{t.lastSeen}</dt>
                <dd>{f.dateTime(online?.at ?? terminal.statusAt, zone)}</dd>
                <dt>{t.queueDepth}</dt>
                <dd class={online !== null && online.queueDepth > 0 ? 'warn' : undefined}>
                  {online === null ? '—' : t.tapsCount(f.number(online.queueDepth))}
                </dd>
                <dt>{t.oldestUndelivered}</dt>
                <dd>{f.dateTime(online?.oldestUndeliveredAt ?? null, zone)}</dd>
                <dt>{t.clock}</dt>
                <dd>
                  {online === null ? '—' : online.clock.synced ? t.clockSynced(online.clock.source) : t.clockUnsynced}
                </dd>
                <dt>{t.rosterVersion}</dt>
                <dd>
                  {online?.rosterVersion ?? '—'}
                  {rosterCurrent ? (
                    online.rosterVersion === site.rosterVersion ? null : (
                      <span class="badge warn">{t.rosterBehind}</span>
                    )
                  ) : null}
                </dd>
                {online?.health === undefined ? null : (
                  <>
                    <dt>{t.health}</dt>
                    <dd data-testid="health">
                      {t.healthSummary(
                        online.health.cpuTempC === null ? '—' : `${f.number(online.health.cpuTempC)} °C`,
                        online.health.diskFreeBytes === null ? '—' : f.bytes(online.health.diskFreeBytes),
                        online.health.daysOfTapsLeft === null
                          ? '—'
                          : t.days(f.number(Math.floor(online.health.daysOfTapsLeft))),
                      )}
                      {healthWarnings(online.health).map((warning) => (
                        <span class="badge warn" data-warning={warning}>
                          {t.healthWarnings[warning]}
                        </span>
                      ))}
                    </dd>
                  </>
                )}
                <dt>{t.firmware}</dt>
                <dd>
                  {online?.firmware ?? '—'}
                  {online?.update && online.update.state !== 'confirmed' ? (
                    <span
                      class={
                        ['failed', 'rolled_back', 'rollback_refused'].includes(online.update.state)
                          ? 'badge warn'
                          : 'badge'
                      }
                      data-update={online.update.state}
                      title={online.update.detail}
                    >
                      {online.update.version}: {t.updates.states[online.update.state]}
                    </span>
                  ) : null}
                </dd>
                <dt>{t.reader}</dt>
                <dd>
                  {online === null
                    ? '—'
                    : `${t.readerStates[online.reader.state]}${online.reader.model ? ` (${online.reader.model})` : ''}`}
                </dd>
                {online?.lastError ? (
                  <>
                    <dt>{t.lastError}</dt>
                    <dd class="warn">
                      {online.lastError.code}: {online.lastError.message} ({f.dateTime(online.lastError.at, zone)})
                    </dd>
                  </>
                ) : null}
                {online?.lastCommand ? (
                  <>
                    <dt>{t.lastCommand}</dt>
                    <dd
                      data-testid="last-command"
                      data-command={online.lastCommand.command}
                      data-command-id={online.lastCommand.id}
                      class={online.lastCommand.ok ? 'ok' : 'warn'}
                    >
                      {t.commands[online.lastCommand.command]} · {online.lastCommand.ok ? t.passed : t.failed} ·{' '}
                      {f.dateTime(online.lastCommand.at, zone)}
                      <br />
                      <small>{online.lastCommand.detail}</small>
                    </dd>
                  </>
                ) : null}
              </dl>
              <Action view={view} action={`/terminals/${terminal.terminalId}/selftest`}>
                <button type="submit" disabled={online === null}>
                  {t.runSelftest}
                </button>
              </Action>
              {view.user.role !== 'admin' ? null : (
                <details>
                  <summary>{t.terminalSettings}</summary>
                  <Action view={view} action={`/terminals/${terminal.terminalId}/settings`} class="stack">
                    <label>
                      {t.directionModeLabel}
                      <select name="directionMode">
                        {DIRECTION_MODES.map((mode) => (
                          <option value={mode} selected={terminal.settings.directionMode === mode}>
                            {t.directionModes[mode]}
                          </option>
                        ))}
                      </select>
                    </label>
                    <label>
                      {t.debounceLabel}
                      <input
                        name="debounceSeconds"
                        type="number"
                        min={0}
                        max={3600}
                        required
                        value={String(terminal.settings.debounceSeconds)}
                      />
                    </label>
                    <label>
                      {t.unknownCardLabel}
                      <select name="unknownCard">
                        {(['accept', 'refuse'] as const).map((policy) => (
                          <option value={policy} selected={terminal.settings.unknownCard === policy}>
                            {t.unknownCardPolicies[policy]}
                          </option>
                        ))}
                      </select>
                    </label>
                    <label>
                      {t.retentionLabel}
                      <input
                        name="retentionDays"
                        type="number"
                        min={1}
                        max={3650}
                        required
                        value={String(terminal.settings.retentionDays)}
                      />
                    </label>
                    <p class="muted">
                      {t.hardwareProfileLabel}: <code>{terminal.hardwareProfile ?? '—'}</code>
                    </p>
                    <button type="submit">{t.saveSettings}</button>
                  </Action>
                </details>
              )}
            </article>
          );
        })}
      </div>
    </>
  );
};
