import { closeSync, openSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '@ccus-gate/protocol';
import type { ServerConfig } from './server-config.js';

/** The files `serve` reads as it starts, by the option that names each. */
function filesServeReads(config: ServerConfig): [option: string, file: string][] {
  const files: [string, string | undefined][] = [
    ['http.tls.certFile', config.http.tls?.certFile],
    ['http.tls.keyFile', config.http.tls?.keyFile],
    ['broker.caFile', config.broker.caFile],
    ['alerts.smtp.passwordFile', config.alerts.smtp?.passwordFile],
    ['updates.publicKeyFile', config.updates?.publicKeyFile],
  ];
  if (config.broker.mode === 'embedded') {
    files.push(
      ['broker.tls.certFile', config.broker.tls?.certFile],
      ['broker.tls.keyFile', config.broker.tls?.keyFile],
    );
  } else {
    files.push(['broker.passwordFile', config.broker.passwordFile]);
  }
  return files.filter((entry): entry is [string, string] => entry[1] !== undefined);
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: "not readable by this server's user",
  EISDIR: 'a folder, not a file',
};

/** Why this process cannot read the file, or null when it can. */
function unreadable(file: string): string | null {
  try {
    closeSync(openSync(file, 'r'));
    return null;
  } catch (error) {
    const code = String((error as NodeJS.ErrnoException).code);
    return `${REASONS[code] ?? 'an error'} (${code})`;
  }
}

/**
 * Throws one ConfigError naming every file the command would read that cannot be read, before
 * anything is opened or started: a technician sees them all at once, and systemd does not
 * restart a server that would only fail again (exit 78). `mosquitto-files` reads only the
 * server's broker password.
 */
export function requireReadableFiles(config: ServerConfig, command: 'serve' | 'mosquitto-files'): void {
  const files =
    command === 'serve'
      ? filesServeReads(config)
      : config.broker.mode === 'external'
        ? [['broker.passwordFile', config.broker.passwordFile] as [string, string]]
        : [];
  const problems: ConfigProblem[] = [];
  for (const [option, file] of files) {
    const reason = unreadable(file);
    if (reason !== null) problems.push({ option, value: file, accepted: `cannot be read: ${reason}` });
  }
  if (problems.length > 0) throw new ConfigError(config.source, problems);
}
