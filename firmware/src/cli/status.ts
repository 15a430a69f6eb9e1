import type { Health } from '@ccus-gate/protocol';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { type HealthSources, MACHINE, probeHealth } from '../health/health-probe.js';
import { type StoreSummary, TerminalStore } from '../store/terminal-store.js';

export interface StatusReport {
  terminalId: string;
  store: StoreSummary;
  oldestPendingAgeSeconds: number | null;
  rejections: ReturnType<TerminalStore['rejections']>;
  /** The machine as the running terminal reports it (reader errors are the running terminal's to count). */
  health: Omit<Health, 'readerErrors'>;
}

/** `ccus-gate-terminal status`: what the store holds, read beside the running terminal. */
export function statusReport(
  config: TerminalRuntimeConfig,
  now: Date = new Date(),
  sources: HealthSources = MACHINE,
): StatusReport {
  const store = TerminalStore.openReadOnly(config.store.path);
  try {
    const summary = store.summary();
    const { counts } = summary;
    const { readerErrors: _, ...health } = probeHealth(sources, {
      storePath: config.store.path,
      store,
      totalTaps: counts.pending + counts.delivered + counts.rejected,
      readerErrors: 0,
      now,
    });
    return {
      terminalId: config.terminalId,
      store: summary,
      oldestPendingAgeSeconds:
        summary.oldestPendingAt === null
          ? null
          : Math.max(0, Math.round((now.getTime() - Date.parse(summary.oldestPendingAt)) / 1000)),
      rejections: store.rejections(5),
      health,
    };
  } finally {
    store.close();
  }
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}

const MiB = 1024 * 1024;

/** Heat, power and room, as a technician reads them off the terminal. */
function healthLines(health: StatusReport['health']): string[] {
  const flags = health.throttled;
  const power =
    flags === null
      ? 'no firmware flags (not a Raspberry Pi)'
      : flags.underVoltage
        ? 'UNDER-VOLTAGE now: replace the power supply or its cable'
        : flags.underVoltageSinceBoot
          ? 'under-voltage since boot: check the power supply'
          : 'ok';
  return [
    `temperature     ${health.cpuTempC === null ? 'unknown' : `${health.cpuTempC} °C${flags?.throttled ? ' (slowed down)' : ''}`}`,
    `power           ${power}`,
    `disk free       ${health.diskFreeBytes === null ? 'unknown' : `${(health.diskFreeBytes / MiB).toFixed(0)} MiB`}`,
    `offline room    ${health.daysOfTapsLeft === null ? 'unknown until taps come' : `${Math.floor(health.daysOfTapsLeft)} days of taps at ${health.tapsPerDay} a day`}`,
  ];
}

export function formatStatus(report: StatusReport): string {
  const { store } = report;
  const lines = [
    `terminal        ${report.terminalId}`,
    `store           ${store.path} (schema ${store.schemaVersion}, ${(store.bytes / 1024 / 1024).toFixed(1)} MiB)`,
    `waiting to send ${store.counts.pending}${report.oldestPendingAgeSeconds === null ? '' : ` (oldest ${age(report.oldestPendingAgeSeconds)} ago)`}`,
    `delivered       ${store.counts.delivered} kept (older ones pruned)`,
    `rejected        ${store.counts.rejected}`,
    `last tap        ${store.lastTap === null ? 'none yet' : `#${store.lastTap.seq} at ${store.lastTap.at}`}`,
    `roster          ${store.rosterVersion === null ? 'none received yet' : `version ${store.rosterVersion}`}`,
    ...healthLines(report.health),
  ];
  for (const r of report.rejections) lines.push(`  rejected #${r.seq} (${r.card.tech} ${r.card.id}): ${r.reason}`);
  return lines.join('\n');
}
