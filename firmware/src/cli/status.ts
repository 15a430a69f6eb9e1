import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { type StoreSummary, TerminalStore } from '../store/terminal-store.js';

export interface StatusReport {
  terminalId: string;
  store: StoreSummary;
  oldestPendingAgeSeconds: number | null;
  rejections: ReturnType<TerminalStore['rejections']>;
}

/** `ccus-gate-terminal status`: what the store holds, read beside the running terminal. */
export function statusReport(config: TerminalRuntimeConfig, now: Date = new Date()): StatusReport {
  const store = TerminalStore.openReadOnly(config.store.path);
  try {
    const summary = store.summary();
    return {
      terminalId: config.terminalId,
      store: summary,
      oldestPendingAgeSeconds:
        summary.oldestPendingAt === null
          ? null
          : Math.max(0, Math.round((now.getTime() - Date.parse(summary.oldestPendingAt)) / 1000)),
      rejections: store.rejections(5),
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
  ];
  for (const r of report.rejections) lines.push(`  rejected #${r.seq} (${r.card.tech} ${r.card.id}): ${r.reason}`);
  return lines.join('\n');
}
