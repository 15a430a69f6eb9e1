import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_MAIN_CONFIG, ensureMosquitto } from '../support/mosquitto.js';
import { ensureBinary, ensurePackage } from '../support/system-package.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce } from '../support/terminal-process.js';

const CHECKOUT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(import.meta.dirname, 'server-install/follow-readme.sh');

/**
 * server/README.md followed from a blank Debian 12 to three servers on PostgreSQL and
 * Mosquitto, as root, in namespaces of the test's own (server-install/follow-readme.sh):
 * the README's own shell blocks run as they are written, the units' commands as systemd
 * would run them, and this machine's files and services are left as they were. Then a
 * terminal is provisioned through the API and taps a card over mqtts.
 */
describe('server/README.md on a blank Debian', () => {
  const dir = tempDir('server-install');
  let checks: Map<string, string>;
  let output: string;

  beforeAll(() => {
    if (process.getuid?.() !== 0) {
      throw new Error('this suite follows the production install as root: run it as root (CI does)');
    }
    ensureBinary('unshare', 'util-linux');
    ensureBinary('ip', 'iproute2');
    ensureBinary('openssl', 'openssl');
    ensureBinary('curl', 'curl');
    ensureMosquitto();
    ensurePackage(
      'postgresql',
      () => existsSync('/usr/bin/pg_createcluster'),
      'PostgreSQL (pg_createcluster) is not installed',
    );
    buildOnce();
    const result = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', '--net', '--pid', '--fork', '--mount-proc', 'bash', SCRIPT],
      {
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, CHECKOUT, WORK: dir.path, MOSQUITTO_MAIN_CONFIG: DEBIAN_MAIN_CONFIG },
      },
    );
    output = `${result.stdout}\n${result.stderr}`;
    if (result.status !== 0) throw new Error(`the walk stopped (exit ${result.status}):\n${output}`);
    checks = new Map(
      result.stdout
        .split('\n')
        .filter((line) => line.startsWith('check '))
        .map((line) => {
          const [, name, ...value] = line.split(' ');
          return [name as string, value.join(' ').trim()];
        }),
    );
  }, 300_000);
  afterAll(() => dir.remove());

  it('brings three servers up on the one PostgreSQL database, each saying so', () => {
    const url = 'postgres://ccus_gate@127.0.0.1:5432/ccus_gate';
    expect(checks.get('started'), output).toBe(url);
    expect(checks.get('started-2'), output).toBe(url);
    expect(checks.get('started-3'), output).toBe(url);
    // None fell back to the config's SQLite file.
    expect(checks.get('sqlite-files')).toBe('0');
  });

  it('answers the operator token made once on any of the three, over HTTPS', () => {
    for (const port of [8443, 8444, 8445]) expect(checks.get(`terminals-api-${port}`), output).toBe('200');
  });

  it("carries a provisioned terminal's tap over mqtts to the servers and PostgreSQL, shown by any server", () => {
    expect(checks.get('terminal-queue'), output).toBe('{"pending":0,"delivered":1,"rejected":0}');
    expect(checks.get('tap'), output).toBe('12345678901234@5678');
    expect(checks.get('tap-rows'), output).toBe('1');
  });

  it("runs Mosquitto from Debian's config with ours in conf.d, every server's account and the terminal's in its password file", () => {
    expect(checks.get('mosquitto-log')).toBe('0');
    expect(checks.get('mosquitto-accounts')).toBe(
      'ccus-gate-server ccus-gate-server-2 ccus-gate-server-3 gate-install',
    );
  });

  it('leaves secrets and state owner-only, the password file readable by Mosquitto through its group', () => {
    expect(checks.get('modes')?.split(' ')).toEqual([
      '/etc/ccus-gate=750:root:ccus-gate-server',
      '/etc/ccus-gate/database.env=600:root:root',
      '/etc/mosquitto/ccus-gate=2750:ccus-gate-server:mosquitto',
      '/etc/mosquitto/ccus-gate/passwd=640:ccus-gate-server:mosquitto',
      '/var/lib/ccus-gate=700:ccus-gate-server:ccus-gate-server',
    ]);
  });
});
