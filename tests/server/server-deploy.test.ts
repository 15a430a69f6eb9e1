import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBinary } from '../support/system-package.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, CLI, productionNodeArgs, SERVER_CLI, TerminalProcess } from '../support/terminal-process.js';

const DEPLOY = new URL('../../server/deploy/', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, DEPLOY), 'utf8');
const INSTALLED_CLI = '/opt/ccus-gate/node_modules/@ccus-gate/server/dist/cli/main.js';

/** The server's systemd units as shipped: valid to systemd, hardened, and in step with the example config. */
describe('server deployment files', () => {
  const dir = tempDir('server-deploy');
  let analyze: string;
  beforeAll(() => {
    analyze = ensureBinary('systemd-analyze', 'systemd');
    buildOnce();
  }, 180_000);
  afterAll(() => dir.remove());

  it('passes systemd-analyze verify, with the CLI where the unit expects it', () => {
    const units = ['ccus-gate-server.service', 'ccus-gate-mosquitto-reload.path', 'ccus-gate-mosquitto-reload.service'];
    for (const unit of units) {
      // The release installs the CLI under /opt; here it is in the checkout.
      writeFileSync(join(dir.path, unit), read(`systemd/${unit}`).replace(INSTALLED_CLI, SERVER_CLI));
    }
    // The same unit as a template, for more servers on one machine: an instance of it too.
    // (systemd wants a template's own file, not a link to a plain unit: a copy, as the README says.)
    writeFileSync(
      join(dir.path, 'ccus-gate-server@.service'),
      readFileSync(join(dir.path, 'ccus-gate-server.service')),
    );
    symlinkSync(join(dir.path, 'ccus-gate-server@.service'), join(dir.path, 'ccus-gate-server@-2.service'));
    const paths = [...units, 'ccus-gate-server@-2.service'].map((unit) => join(dir.path, unit));
    const result = spawnSync(analyze, ['verify', ...paths], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/unknown|invalid|not executable|failed/i);
  });

  it('is what tests and benchmarks run: the server with the Node flags of its own unit, never those of the terminal', async () => {
    // The terminal's unit caps Node for a Raspberry Pi (128 MB heap, a 1 MB young generation);
    // a server run under those caps collects garbage most of the time and measures nothing true.
    const terminalFlags = productionNodeArgs(CLI);
    expect(terminalFlags).toContain('--max-old-space-size=128');
    expect(productionNodeArgs(SERVER_CLI)).toEqual([]);
    const server = new TerminalProcess('serve', join(dir.path, 'missing.json'), SERVER_CLI);
    await server.exited;
    expect(server.child.spawnargs.slice(1)).toEqual([SERVER_CLI, 'serve', '--config', join(dir.path, 'missing.json')]);
  });

  it('runs the server as its own user, owner-only, hardened, and not in a loop on a bad config', () => {
    const unit = read('systemd/ccus-gate-server.service');
    // %i: empty for the unit itself (server.json), "-2" for ccus-gate-server@-2 (server-2.json).
    expect(unit).toContain(`ExecStart=/usr/bin/node ${INSTALLED_CLI} serve --config /etc/ccus-gate/server%i.json`);
    for (const line of [
      'User=ccus-gate-server',
      'UMask=0077',
      'StateDirectoryMode=0700',
      'RestartPreventExitStatus=78',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateDevices=yes',
      'CapabilityBoundingSet=',
      'SupplementaryGroups=mosquitto',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
  });

  it('gives every server of the machine the database URL that server/README.md has the operator write once', () => {
    // A second server reading only its own file would start on the config's SQLite file beside
    // the others on PostgreSQL, and store the batches Mosquitto hands it there.
    const unit = read('systemd/ccus-gate-server.service');
    const environmentFiles = (instance: string) =>
      [...unit.matchAll(/^EnvironmentFile=-?(.*)$/gm)].map((match) => match[1]?.replaceAll('%i', instance));
    for (const instance of ['', '-2', '-3']) {
      expect(environmentFiles(instance), `ccus-gate-server@${instance}`).toContain('/etc/ccus-gate/database.env');
    }
    expect(environmentFiles('-2')).toContain('/etc/ccus-gate/database-2.env');
  });

  it('reloads Mosquitto on the password file the example config has the server write, which the unit may write', () => {
    const config = JSON.parse(read('server.example.json')) as {
      database: string;
      broker: { mosquitto: { passwordFile: string; pidFile?: string } };
    };
    const passwordFile = config.broker.mosquitto.passwordFile;
    expect(read('systemd/ccus-gate-mosquitto-reload.path')).toContain(`PathChanged=${passwordFile}`);
    const writable = /^ReadWritePaths=(.*)$/m.exec(read('systemd/ccus-gate-server.service'))?.[1]?.split(' ') ?? [];
    expect(writable.some((path) => passwordFile.startsWith(`${path}/`))).toBe(true);
    // The server cannot signal Mosquitto's process from its own user: systemd reloads it.
    expect(config.broker.mosquitto.pidFile).toBeUndefined();
    expect(read('systemd/ccus-gate-mosquitto-reload.service')).toContain(
      'ExecStart=/bin/systemctl reload mosquitto.service',
    );
    expect(config.database.startsWith('/var/lib/ccus-gate/')).toBe(true);
  });
});
