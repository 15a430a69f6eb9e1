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
