import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait.js';

const SHIPPED = new URL('../../server/deploy/mosquitto/', import.meta.url);

function which(command: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The mosquitto binary, installed from Debian's package when missing (the suite runs as
 * root in CI). Fails with what to do when it cannot be had: never skips.
 */
export function ensureMosquitto(): string {
  const found = which('mosquitto') ?? (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : null);
  if (found !== null) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('mosquitto is not installed and this user cannot install it: run `sudo apt-get install mosquitto`');
  }
  try {
    execFileSync('apt-get', ['update'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'mosquitto'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new Error(`mosquitto is not installed and apt-get could not install it: ${(error as Error).message}`);
  }
  const installed = which('mosquitto') ?? '/usr/sbin/mosquitto';
  if (!existsSync(installed)) throw new Error('apt-get installed mosquitto but its binary is not where expected');
  return installed;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningMosquitto {
  url: string;
  port: number;
  passwordFile: string;
  pidFile: string;
  aclFile: string;
  /** What mosquitto printed, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Mosquitto with the project's shipped config and ACL. Only what must differ on a
 * test machine is changed: paths into `dir`, one plain listener on a free port instead of
 * the TLS and local listeners, no persistence, and no dropping to the mosquitto user (the
 * files are the test's).
 */
export async function startMosquitto(dir: string, passwords: string): Promise<RunningMosquitto> {
  const binary = ensureMosquitto();
  const port = await freePort();
  const passwordFile = join(dir, 'passwd');
  const pidFile = join(dir, 'mosquitto.pid');
  const aclFile = join(dir, 'acl');
  writeFileSync(passwordFile, passwords, { mode: 0o600 });
  writeFileSync(aclFile, readFileSync(new URL('acl', SHIPPED)));
  const shipped = readFileSync(new URL('mosquitto.conf', SHIPPED), 'utf8');
  const config = shipped
    .replace(/^password_file .*$/m, `password_file ${passwordFile}`)
    .replace(/^pid_file .*$/m, `pid_file ${pidFile}`)
    .replace(/^acl_file .*$/m, `acl_file ${aclFile}`)
    .replace(/^persistence true$/m, 'persistence false')
    .replace(/^persistence_location .*$/m, '')
    .replace(/^listener 8883\n(certfile .*\n)(keyfile .*\n)/m, `listener ${port} 127.0.0.1\n`)
    .replace(/^listener 1883 127\.0\.0\.1\nuse_username_as_clientid true\n/m, '')
    .concat('\nuser root\n');
  if (!config.includes(`listener ${port} 127.0.0.1`))
    throw new Error('the shipped mosquitto.conf no longer has the listeners this test rewrites');
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, config);
  let output = '';
  const child: ChildProcess = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`mosquitto to listen on ${port} (${output})`, () => {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${output}`);
    return existsSync(pidFile) && output.includes(`on port ${port}`);
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    passwordFile,
    pidFile,
    aclFile,
    log: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
