import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureBinary } from './system-package.js';
import { waitFor } from './wait.js';

const SHIPPED = new URL('../../server/deploy/mosquitto/', import.meta.url);

/** The mosquitto binary, installed from Debian's package when missing. */
export function ensureMosquitto(): string {
  return ensureBinary('mosquitto', 'mosquitto', ['/usr/sbin/mosquitto']);
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

/** The mosquitto user's ids (the Debian package creates the user and its group). */
function mosquittoUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('mosquitto:'));
  const [, , uid, gid] = (line ?? '').split(':').map(Number);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error('there is no mosquitto user: is the mosquitto package installed?');
  }
  return { uid: uid as number, gid: gid as number };
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
 * /etc/mosquitto/mosquitto.conf as Debian 12's mosquitto package ships it: what it sets, the
 * shipped ccus-gate.conf in conf.d must not set again (Mosquitto refuses a duplicate).
 */
export const DEBIAN_MAIN_CONFIG = `pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location /var/lib/mosquitto/

log_dest file /var/log/mosquitto/mosquitto.log

include_dir /etc/mosquitto/conf.d
`;

/**
 * Starts Mosquitto as installed on Debian: the package's main config, including the project's
 * shipped config from its conf.d, and the shipped ACL. Only what must differ on a test machine
 * is changed: paths into `dir`, the log on stderr, one plain listener on a free port instead
 * of the TLS and local listeners. Started as root (as CI is), it drops to its own `mosquitto`
 * user as in production, and reads its password file through the file's group, as the server
 * must keep it readable (server/README.md). `port` is a free one unless given (a broker that
 * comes up where a server already expects it).
 */
export async function startMosquitto(
  dir: string,
  passwords: string,
  options: { acl?: string; port?: number } = {},
): Promise<RunningMosquitto> {
  const binary = ensureMosquitto();
  const port = options.port ?? (await freePort());
  const passwordFile = join(dir, 'passwd');
  // As /run/mosquitto: Mosquitto's own, it writes its pid there after dropping to its user.
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { recursive: true });
  const pidFile = join(runDir, 'mosquitto.pid');
  const aclFile = join(dir, 'acl');
  // As /etc/mosquitto/conf.d and /var/lib/mosquitto (persistence, Mosquitto's own).
  const confDir = join(dir, 'conf.d');
  const dataDir = join(dir, 'lib');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  writeFileSync(passwordFile, passwords, { mode: 0o640 });
  writeFileSync(aclFile, options.acl ?? readFileSync(new URL('acl', SHIPPED)), { mode: 0o644 });
  if (asRoot) {
    // The production layout: the folder is the server's, its password file Mosquitto's group's.
    const { uid, gid: group } = mosquittoUser();
    chmodSync(dir, 0o711);
    chownSync(runDir, uid, group);
    chownSync(dataDir, uid, group);
    chownSync(passwordFile, 0, group);
    chmodSync(passwordFile, 0o640);
  }
  const shipped = readFileSync(new URL('mosquitto.conf', SHIPPED), 'utf8');
  const ours = shipped
    .replace(/^password_file .*$/m, `password_file ${passwordFile}`)
    .replace(/^acl_file .*$/m, `acl_file ${aclFile}`)
    .replace(/^listener 8883\n(certfile .*\n)(keyfile .*\n)/m, `listener ${port} 127.0.0.1\n`)
    .replace(/^listener 1883 127\.0\.0\.1\nuse_username_as_clientid true\n/m, '');
  if (!ours.includes(`listener ${port} 127.0.0.1`))
    throw new Error('the shipped mosquitto.conf no longer has the listeners this test rewrites');
  writeFileSync(join(confDir, 'ccus-gate.conf'), ours);
  const main = DEBIAN_MAIN_CONFIG.replace(/^pid_file .*$/m, `pid_file ${pidFile}`)
    .replace(/^persistence_location .*$/m, `persistence_location ${dataDir}/`)
    .replace(/^log_dest .*$/m, 'log_dest stderr')
    .replace(/^include_dir .*$/m, `include_dir ${confDir}`)
    .concat(asRoot ? '\nuser mosquitto\n' : '\n');
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, main);
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
