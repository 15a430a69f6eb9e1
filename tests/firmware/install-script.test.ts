import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { ensureBinary } from '../support/system-package.js';
import { tempDir } from '../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'firmware/deploy/install.sh');

/**
 * firmware/deploy/install.sh against a throwaway root folder: what it writes, with which
 * permissions, the unit it enables, and that a second run changes nothing. No Pi needed.
 */
describe('install.sh', () => {
  const dir = tempDir('install');
  const root = join(dir.path, 'root');
  let f: ApiFixture;
  let tarball: string;

  const install = () =>
    spawnSync('bash', [SCRIPT, tarball], {
      env: { ...process.env, ROOT: root, CCUS_GATE_NPM_FLAGS: '--ignore-scripts' },
      encoding: 'utf8',
    });
  const read = (path: string) => readFileSync(join(root, path), 'utf8');

  beforeAll(async () => {
    // A fresh Raspberry Pi OS, as far as the script looks.
    for (const folder of ['etc', 'boot/firmware']) mkdirSync(join(root, folder), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:\n');
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\ndialout:*::\n');
    writeFileSync(join(root, 'boot/firmware/config.txt'), '[all]\narm_64bit=1\n');
    writeFileSync(
      join(root, 'boot/firmware/cmdline.txt'),
      'console=serial0,115200 console=tty1 root=PARTUUID=1 rootwait\n',
    );

    const out = join(dir.path, 'release');
    const printed = execFileSync(process.execPath, [join(ROOT, 'scripts/release.mjs')], {
      cwd: ROOT,
      env: { ...process.env, RELEASE_DIR: out },
      encoding: 'utf8',
    });
    tarball = printed.split('\n')[0] as string;

    // The technician's bundle on the boot partition, issued by the server for a PN532 build.
    f = apiFixture(dir.path);
    f.now.value = new Date();
    await f.call(f.operator, 'POST', '/api/v1/fleet/terminals', {
      terminalId: 'gate-pi-01',
      hardwareProfile: 'pi-pn532-uart',
    });
    await f.call(f.operator, 'PUT', '/api/v1/fleet/terminals/gate-pi-01/lease', {
      tenantId: f.a.tenantId,
      siteId: f.a.siteId,
    });
    const bundle = await (await f.call(f.operator, 'POST', '/api/v1/fleet/terminals/gate-pi-01/provisioning')).text();
    writeFileSync(join(root, 'boot/firmware/ccus-gate-bundle.json'), bundle);
  }, 180_000);

  afterAll(() => {
    f?.close();
    dir.remove();
  });

  it('prints its usage for --help, and for a missing argument with exit code 2', () => {
    const help = spawnSync('bash', [SCRIPT, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /^usage: sudo \.\/install\.sh <ccus-gate-terminal-<version>\.tar\.gz> \[bundle\.json\]/,
    );
    const missing = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^usage: /);
  });

  it('passes shellcheck, and so do the launcher it installs and the SD card image scripts', () => {
    const shellcheck = ensureBinary('shellcheck', 'shellcheck');
    const image = ['build-image.sh', 'customize.sh', 'initramfs-later.sh', 'files/apply-bundle', 'files/grow-root'];
    const scripts = [
      SCRIPT,
      join(ROOT, 'firmware/deploy/launch'),
      ...image.map((f) => join(ROOT, 'firmware/image', f)),
    ];
    const result = spawnSync(shellcheck, scripts, { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses a tarball that is not a terminal release, saying so', () => {
    const notRelease = join(dir.path, 'not-a-release.tar.gz');
    mkdirSync(join(dir.path, 'junk'), { recursive: true });
    writeFileSync(join(dir.path, 'junk', 'readme.txt'), 'hello');
    execFileSync('tar', ['-czf', notRelease, '-C', dir.path, 'junk']);
    const result = spawnSync('bash', [SCRIPT, notRelease], {
      env: { ...process.env, ROOT: root },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('has no release.json: it is not a terminal release');
    // Nothing changed: no user, no folder.
    expect(read('etc/passwd')).not.toContain('ccus-gate');
    expect(existsSync(join(root, 'opt/ccus-gate'))).toBe(false);
  });

  it('installs the release, the user, the UART, the unit and the config from the bundle, then deletes the bundle', () => {
    const result = install();
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);

    // One folder per release, `current` pointing at it, and the launcher that starts it.
    const releases = join(root, 'opt/ccus-gate/releases');
    expect(readlinkSync(join(releases, 'current'))).toBe('versions/0.1.0');
    expect(existsSync(join(releases, 'current/node_modules/@ccus-gate/firmware/dist/cli/main.js'))).toBe(true);
    expect(statSync(join(root, 'opt/ccus-gate/launch')).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, 'opt/ccus-gate/launch-check.mjs'))).toBe(true);
    expect(read('etc/passwd')).toMatch(/^ccus-gate:x:\d+:\d+::\/var\/lib\/ccus-gate:\/usr\/sbin\/nologin$/m);
    for (const group of ['dialout', 'gpio', 'spi'])
      expect(read('etc/group')).toMatch(new RegExp(`^${group}:x:\\d+:ccus-gate$`, 'm'));

    expect(read('boot/firmware/config.txt')).toContain('enable_uart=1\n');
    expect(read('boot/firmware/cmdline.txt')).toBe('console=tty1 root=PARTUUID=1 rootwait\n');

    const unit = read('etc/systemd/system/ccus-gate-terminal.service');
    expect(unit).toContain('WatchdogSec=30');
    expect(unit).toContain('Restart=always');
    expect(unit).toContain('After=network-online.target systemd-timesyncd.service');
    expect(unit).not.toMatch(/^(Wants|After)=.*time-sync\.target/m);
    expect(unit).toContain('ExecStart=/opt/ccus-gate/launch run --config /etc/ccus-gate/terminal.json');
    expect(unit).toContain('ReadWritePaths=/opt/ccus-gate/releases');
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants/ccus-gate-terminal.service');
    expect(lstatSync(wants).isSymbolicLink()).toBe(true);
    expect(readlinkSync(wants)).toBe('../ccus-gate-terminal.service');
    expect(read('etc/systemd/journald.conf.d/ccus-gate.conf')).toContain('Storage=volatile');

    expect(statSync(join(root, 'etc/ccus-gate')).mode & 0o777).toBe(0o700);
    const config = JSON.parse(read('etc/ccus-gate/terminal.json')) as {
      terminalId: string;
      hardware: { profile: string };
    };
    expect(config.terminalId).toBe('gate-pi-01');
    expect(config.hardware.profile).toBe(
      join(root, 'opt/ccus-gate/releases/current/node_modules/@ccus-gate/hardware/profiles/pi-pn532-uart.json'),
    );
    expect(statSync(join(root, 'etc/ccus-gate/terminal.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'etc/ccus-gate/terminal.password')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(root, 'boot/firmware/ccus-gate-bundle.json'))).toBe(false);
  });

  it('changes nothing when run a second time', () => {
    const files = [
      'etc/passwd',
      'etc/group',
      'boot/firmware/config.txt',
      'boot/firmware/cmdline.txt',
      'etc/ccus-gate/terminal.json',
    ];
    const before = files.map(read);
    const result = install();
    expect(result.status).toBe(0);
    expect(files.map(read)).toEqual(before);
  }, 120_000);
});
