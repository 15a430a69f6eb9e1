import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkReaderBoard, type HealthSources, loadConfig, runDoctor, TerminalStore } from '@ccus-gate/firmware';
import { type HardwareProfile, parseHardwareProfile } from '@ccus-gate/hardware';
import { parseCardRef } from '@ccus-gate/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { writeTerminalConfig } from '../support/terminal-process.js';

/** `doctor --login`: the broker takes the terminal's password, or doctor says how to get a good one. */
describe('doctor --login', () => {
  const dir = tempDir('doctor-login');
  let server: SyncServerHarness;

  beforeAll(async () => {
    server = await startSyncServer(dir.path);
  });

  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  const doctor = async (password: string) => {
    const path = writeTerminalConfig(dir.path, { terminalId: server.terminalId, url: server.url, password });
    return runDoctor(loadConfig(path), { login: true });
  };

  it('signs in with the right password', async () => {
    const checks = await doctor(server.terminalPassword);
    expect(checks.find((c) => c.name === 'login')).toMatchObject({ result: 'ok' });
  });

  it('names a refused password and says to provision again', async () => {
    const checks = await doctor('cgt_not-the-password');
    expect(checks.find((c) => c.name === 'login')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining(`refused ${server.terminalId}'s password`),
      fix: expect.stringContaining('ccus-gate-terminal provision'),
    });
  });

  it('does not sign in without --login, so a running terminal keeps its session', async () => {
    const path = writeTerminalConfig(dir.path, { terminalId: server.terminalId, url: server.url, password: 'x' });
    const checks = await runDoctor(loadConfig(path));
    expect(checks.some((c) => c.name === 'login')).toBe(false);
  });
});

/** doctor's hardware check: the profile loads and the service user can open what it names. */
describe('doctor: hardware', () => {
  const dir = tempDir('doctor-hardware');
  afterAll(() => dir.remove());

  const withProfile = (profile: unknown) => {
    const profilePath = join(dir.path, 'profile.json');
    writeFileSync(profilePath, JSON.stringify(profile));
    const path = writeTerminalConfig(dir.path, {
      terminalId: 'gate-hw-01',
      url: 'mqtt://127.0.0.1:1',
      password: 'x',
      extra: { hardware: { profile: profilePath } },
    });
    return runDoctor(loadConfig(path), { brokerTimeoutMs: 500 });
  };

  it('names a reader port that is not there, with what to do', async () => {
    const checks = await withProfile({
      name: 'PN532 on a port that is missing',
      readers: [{ driver: 'pn532-uart', name: 'pn532', path: join(dir.path, 'no-such-serial') }],
      outputs: { driver: 'simulated' },
    });
    expect(checks.find((c) => c.name === 'hardware')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('no-such-serial missing'),
      fix: expect.stringContaining('enable the UART'),
    });
  });

  it('accepts a reader port that is there and openable, and names a broken profile', async () => {
    const port = join(dir.path, 'serial0');
    writeFileSync(port, '');
    const ok = await withProfile({
      name: 'PN532 on a port that is there',
      readers: [{ driver: 'pn532-uart', name: 'pn532', path: port }],
      outputs: { driver: 'simulated' },
    });
    expect(ok.find((c) => c.name === 'hardware')).toMatchObject({ result: 'ok' });
    const broken = await withProfile({ name: 'no readers', readers: [], outputs: { driver: 'simulated' } });
    expect(broken.find((c) => c.name === 'hardware')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('readers'),
      fix: expect.stringContaining('hardware/README.md'),
    });
  });
});

/** Each thing doctor diagnoses, broken on purpose, with what it says to do. */
describe('doctor: every diagnosis', () => {
  const dir = tempDir('doctor-each');
  afterAll(() => dir.remove());

  async function diagnose(name: string, breakIt: (paths: { dir: string; config: Record<string, unknown> }) => void) {
    const folder = join(dir.path, name);
    mkdirSync(folder, { recursive: true });
    const configPath = writeTerminalConfig(folder, {
      terminalId: 'gate-dr-01',
      url: 'mqtt://127.0.0.1:1',
      password: 'x',
    });
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    breakIt({ dir: folder, config });
    writeFileSync(configPath, JSON.stringify(config));
    return runDoctor(loadConfig(configPath), { brokerTimeoutMs: 500, now: new Date('2026-11-24T12:00:00Z') });
  }

  const store = (folder: string) => TerminalStore.open(join(folder, 'store', 'terminal.db'));

  it.each([
    [
      'password',
      'fail',
      'write the password the server issued',
      ({ dir }: { dir: string }) => rmSync(join(dir, 'terminal.password')),
    ],
    ['password', 'warn', 'chmod 600', ({ dir }: { dir: string }) => chmodSync(join(dir, 'terminal.password'), 0o644)],
    [
      'ca',
      'fail',
      'copy the broker CA certificate',
      ({ config }: { config: Record<string, unknown> }) => {
        (config.broker as Record<string, unknown>).caFile = 'missing-ca.crt';
      },
    ],
    ['clock', 'warn', 'systemd-timesyncd', ({ dir }: { dir: string }) => rmSync(join(dir, 'synchronized'))],
    ['broker', 'fail', 'check the network', () => {}],
    [
      'queue',
      'warn',
      'check the broker connection',
      ({ dir }: { dir: string }) => {
        const s = store(dir);
        s.commitTap(oldTap());
        s.close();
      },
    ],
    [
      'roster',
      'warn',
      'connect the terminal to its server once',
      ({ dir }: { dir: string }) => {
        store(dir).close();
      },
    ],
  ] as const)('%s: %s, saying what to do', async (name, result, fix, breakIt) => {
    const checks = await diagnose(`${name}-${result}`, breakIt as never);
    const found = checks.find((c) => c.name === name);
    expect(found?.result, JSON.stringify(checks)).toBe(result);
    expect(found?.fix).toContain(fix);
  });
});

function oldTap() {
  return {
    card: parseCardRef('04A2B3C4'),
    workerId: null,
    direction: 'in' as const,
    at: new Date('2026-11-24T08:00:00Z'),
    workingDay: '2026-11-24',
    bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
    mono: 1000,
    clockSynced: true,
    flags: ['unknown_card' as const],
  };
}

/** doctor --reader: each reader started and asked what it is, with the service stopped. */
describe('doctor --reader', () => {
  const dir = tempDir('doctor-reader');
  afterAll(() => dir.remove());

  it('names each reader with its model, and fails naming one that does not answer', async () => {
    const simulated = writeTerminalConfig(dir.path, {
      terminalId: 'gate-rd-01',
      url: 'mqtt://127.0.0.1:1',
      password: 'x',
    });
    const ok = await runDoctor(loadConfig(simulated), { reader: true, brokerTimeoutMs: 500 });
    expect(ok.find((c) => c.name === 'reader')).toMatchObject({
      result: 'ok',
      detail: expect.stringMatching(/^sim: /),
    });

    const notAReader = join(dir.path, 'not-a-serial-port');
    writeFileSync(notAReader, '');
    const profile = join(dir.path, 'pn532.json');
    writeFileSync(
      profile,
      JSON.stringify({
        name: 'PN532 on a file that is no reader',
        readers: [{ driver: 'pn532-uart', name: 'pn532', path: notAReader }],
        outputs: { driver: 'simulated' },
      }),
    );
    const broken = writeTerminalConfig(join(dir.path), {
      terminalId: 'gate-rd-01',
      url: 'mqtt://127.0.0.1:1',
      password: 'x',
      extra: { hardware: { profile } },
    });
    const failed = await runDoctor(loadConfig(broken), { reader: true, brokerTimeoutMs: 1_000 });
    expect(failed.find((c) => c.name === 'reader')).toMatchObject({
      result: 'fail',
      detail: expect.stringMatching(/^pn532: /),
      fix: expect.stringContaining('stop the service first'),
    });
  });
});

/**
 * The store's disk: a small tmpfs stands for a full SD card, a read-only one for a folder the
 * service cannot write (root ignores permissions, not a read-only mount).
 */
describe('doctor: the store folder and the disk', () => {
  const dir = tempDir('doctor-disk');
  const mounts: string[] = [];
  const mount = (name: string, options: string): string => {
    const point = join(dir.path, name);
    mkdirSync(point, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', point], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test mounts a tmpfs and needs root: ${(error as Error).message}`);
    }
    mounts.push(point);
    return point;
  };
  afterAll(() => {
    for (const point of mounts) execFileSync('umount', [point]);
    dir.remove();
  });

  const doctorWithStoreIn = async (folder: string) => {
    const path = writeTerminalConfig(dir.path, {
      terminalId: 'gate-dk-01',
      url: 'mqtt://127.0.0.1:1',
      password: 'x',
      extra: { store: { path: join(folder, 'store', 'terminal.db') } },
    });
    return runDoctor(loadConfig(path), { brokerTimeoutMs: 500 });
  };

  it('fails when the disk is nearly full, saying what to free', async () => {
    const checks = await doctorWithStoreIn(mount('small', 'size=10m'));
    expect(checks.find((c) => c.name === 'disk')).toMatchObject({
      result: 'fail',
      fix: expect.stringContaining('free space'),
    });
  });

  it('fails when the store folder cannot be written, saying whose it should be', async () => {
    const checks = await doctorWithStoreIn(mount('readonly', 'ro,size=300m'));
    expect(checks.find((c) => c.name === 'store')).toMatchObject({
      result: 'fail',
      detail: expect.stringContaining('not writable'),
      fix: expect.stringContaining('chown'),
    });
  });
});

/** doctor's power and heat, off a Pi's own files (a test's here). */
describe('doctor: power and heat', () => {
  const dir = tempDir('doctor-power');
  afterAll(() => dir.remove());

  const onPi = (temp: string, throttled: string): HealthSources => ({
    readText: (path) =>
      ({
        '/sys/class/thermal/thermal_zone0/temp': temp,
        '/sys/devices/platform/soc/soc:firmware/get_throttled': throttled,
      })[path] ?? null,
    disk: () => null,
    fileBytes: () => 0,
    rssBytes: () => 0,
    uptimeSeconds: () => 0,
  });
  const doctor = (health: HealthSources) => {
    const path = writeTerminalConfig(dir.path, { terminalId: 'gate-pw-01', url: 'mqtt://127.0.0.1:1', password: 'x' });
    return runDoctor(loadConfig(path), { brokerTimeoutMs: 500, health });
  };

  it('warns of an under-voltage since boot and a hot, slowed CPU, saying what to do', async () => {
    const checks = await doctor(onPi('83500\n', '50005\n'));
    expect(checks.find((c) => c.name === 'power')).toMatchObject({
      result: 'warn',
      detail: 'under-voltage now',
      fix: expect.stringContaining('official power supply'),
    });
    expect(checks.find((c) => c.name === 'heat')).toMatchObject({
      result: 'warn',
      detail: '83.5 °C, the CPU is being slowed',
      fix: expect.stringContaining('shade'),
    });
    const once = await doctor(onPi('45000\n', '10000\n'));
    expect(once.find((c) => c.name === 'power')).toMatchObject({ result: 'warn', detail: 'under-voltage since boot' });
    expect(once.find((c) => c.name === 'heat')).toMatchObject({ result: 'ok', detail: '45 °C' });
  });

  it('passes a Pi in good health, and says plainly when there is nothing to read', async () => {
    const good = await doctor(onPi('52000\n', '0\n'));
    expect(good.filter((c) => c.name === 'power' || c.name === 'heat').map((c) => c.result)).toEqual(['ok', 'ok']);
    const laptop = await doctor(onPi('', ''));
    expect(laptop.find((c) => c.name === 'power')).toMatchObject({
      result: 'ok',
      detail: 'not a Raspberry Pi: nothing to read',
    });
  });
});

/** doctor --reader on an RC522 build: which driver the board needs (rpio knows no Pi 5). */
describe('doctor: which RC522 driver the board needs', () => {
  const board = (model: string | null): HealthSources => ({
    readText: (path) => (path === '/proc/device-tree/model' ? model : null),
    disk: () => null,
    fileBytes: () => 0,
    rssBytes: () => 0,
    uptimeSeconds: () => 0,
  });
  const profile = (reader: object): HardwareProfile =>
    parseHardwareProfile({ name: 'rc522', readers: [reader], outputs: { driver: 'simulated' } });

  it('sends a Pi 5 with the rpio driver to rc522-spidev, and accepts it on a Pi 4', () => {
    const softspi = profile({ driver: 'rc522-spi' });
    expect(checkReaderBoard(softspi, board('Raspberry Pi 5 Model B Rev 1.0\0'))).toEqual([
      expect.objectContaining({
        result: 'fail',
        detail: expect.stringContaining('needs the rc522-spidev driver'),
        fix: expect.stringContaining('pi-rc522-spidev'),
      }),
    ]);
    expect(checkReaderBoard(softspi, board('Raspberry Pi 4 Model B Rev 1.5\0'))).toEqual([
      expect.objectContaining({ result: 'ok' }),
    ]);
  });

  it('checks that the SPI device rc522-spidev names is there, and says how to enable it', () => {
    const spidev = profile({ driver: 'rc522-spidev', bus: 0, device: 1 });
    expect(checkReaderBoard(spidev, board('Raspberry Pi 5 Model B Rev 1.0\0'), () => false)).toEqual([
      expect.objectContaining({
        result: 'fail',
        detail: expect.stringContaining('/dev/spidev0.1 is missing'),
        fix: expect.stringContaining('dtparam=spi=on'),
      }),
    ]);
    expect(checkReaderBoard(spidev, board('Raspberry Pi 5 Model B Rev 1.0\0'), (p) => p === '/dev/spidev0.1')).toEqual([
      expect.objectContaining({ result: 'ok', detail: expect.stringContaining('/dev/spidev0.1') }),
    ]);
    expect(checkReaderBoard(profile({ driver: 'simulated' }), board(null))).toEqual([]);
  });
});
