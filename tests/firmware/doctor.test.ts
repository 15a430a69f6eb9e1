import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, runDoctor } from '@ccus-gate/firmware';
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
