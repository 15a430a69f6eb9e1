import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_CLI, TerminalProcess } from './terminal-process.js';

/**
 * One of several `ccus-gate-server serve` processes on one database and one Mosquitto, sharing
 * the ingest: its password file and config written into `dir` (server-N.json), started, and
 * resolved once it says it serves. `extra` adds to or replaces parts of the config.
 */
export async function startClusterServer(
  dir: string,
  i: number,
  shared: {
    database: string;
    mosquittoUrl: string;
    service: { username: string; password: string };
    ccusUrl: string;
    extra?: Record<string, unknown>;
  },
): Promise<TerminalProcess> {
  writeFileSync(join(dir, `service-${i}.password`), `${shared.service.password}\n`, { mode: 0o600 });
  const config = join(dir, `server-${i}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      database: shared.database,
      serverId: `server-${i}`,
      http: { host: '127.0.0.1', port: 0 },
      broker: {
        mode: 'external',
        url: shared.mosquittoUrl,
        username: shared.service.username,
        passwordFile: `service-${i}.password`,
        sharedGroup: 'ingest',
      },
      ccus: { mode: 'http', url: shared.ccusUrl },
      ...shared.extra,
    }),
  );
  return startServerProcess(config, i);
}

/**
 * Starts the server of a config written before (a restart), resolved once it serves; rejected,
 * with what it printed, as soon as it exits instead.
 */
export async function startServerProcess(config: string, i: number): Promise<TerminalProcess> {
  const server = new TerminalProcess('serve', config, SERVER_CLI);
  const exited = server.exited.then(async ({ code, signal }) => {
    // Its last words may still be in the pipe when it exits.
    if (!server.child.stderr.closed) await once(server.child.stderr, 'close');
    throw new Error(`server ${i} exited (${code ?? signal}) before it started: ${server.stderr.join('\n')}`);
  });
  await Promise.race([
    server.waitForLine(`server ${i} to start`, (line) => line.msg === 'sync server started', 60_000),
    exited,
  ]);
  return server;
}
