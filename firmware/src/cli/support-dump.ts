import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, hostname, release, uptime } from 'node:os';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { FIRMWARE_VERSION } from '../terminal.js';
import { runDoctor } from './doctor.js';
import { statusReport } from './status.js';

export interface SupportDump {
  kind: 'ccus-gate-support-dump';
  writtenAt: string;
  versions: { firmware: string; node: string; os: string; hostname: string; uptimeSeconds: number };
  /** The config as read, minus anything secret: only the paths of secret files, never their content. */
  config: Record<string, unknown>;
  status: unknown;
  doctor: unknown;
  logs: { source: string; lines: string[] } | { unavailable: string };
}

/** The last `lines` journal lines of the service, or why there are none. */
export function journalLines(lines: number): SupportDump['logs'] {
  try {
    const text = execFileSync(
      'journalctl',
      ['--unit', 'ccus-gate-terminal', '--lines', String(lines), '--no-pager', '--output', 'cat'],
      { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return { source: 'journalctl --unit ccus-gate-terminal', lines: text.split('\n').filter((l) => l !== '') };
  } catch (error) {
    return { unavailable: `journalctl: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/** A config with secrets left out: the password file's path stays (doctor checks it), its content never enters. */
function withoutSecrets(config: TerminalRuntimeConfig): Record<string, unknown> {
  const raw = JSON.parse(readFileSync(config.source, 'utf8')) as Record<string, unknown>;
  const broker = { ...(raw.broker as Record<string, unknown> | undefined) };
  for (const key of Object.keys(broker)) if (/password(?!File)|secret|token/i.test(key)) broker[key] = '(removed)';
  return { ...raw, broker };
}

/**
 * Everything support needs in one file: versions, the config (secrets removed), the
 * store's status, doctor's checks and the recent log. Safe while the terminal runs.
 */
export async function supportDump(
  config: TerminalRuntimeConfig,
  options: { now?: Date; logs?: () => SupportDump['logs'] } = {},
): Promise<SupportDump> {
  const now = options.now ?? new Date();
  let status: unknown;
  try {
    status = statusReport(config, now);
  } catch (error) {
    status = { unavailable: (error as Error).message };
  }
  return {
    kind: 'ccus-gate-support-dump',
    writtenAt: now.toISOString(),
    versions: {
      firmware: FIRMWARE_VERSION,
      node: process.version,
      os: `${release()} ${arch()}`,
      hostname: hostname(),
      uptimeSeconds: Math.round(uptime()),
    },
    config: withoutSecrets(config),
    status,
    doctor: await runDoctor(config, { now }),
    logs: (options.logs ?? (() => journalLines(500)))(),
  };
}
