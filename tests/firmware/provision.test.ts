import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, ProvisionError, provision, TerminalStore } from '@ccus-gate/firmware';
import { parseCardRef, parseWorkerId } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, CLI } from '../support/terminal-process.js';

const PROFILES = new URL('../../hardware/profiles', import.meta.url).pathname;

/** From a bundle the server issued to a configured terminal, and what it refuses. */
describe('provisioning a terminal', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  const configPath = () => join(dir.path, 'etc', 'terminal.json');
  const mode = (path: string) => statSync(path).mode & 0o777;

  /** The operator creates the terminal, leases it and asks for its bundle, as over the API. */
  async function issueBundle(terminalId: string, tenant: 'a' | 'b', file: string): Promise<Record<string, unknown>> {
    const call = (method: string, path: string, body?: unknown) => f.call(f.operator, method, path, body);
    f.now.value = new Date(f.now.value.getTime() + 60_000); // each bundle a minute after the last
    if ((await call('GET', `/api/v1/fleet/terminals`).then((r) => r.text())).includes(`"${terminalId}"`) === false) {
      expect(
        (await call('POST', '/api/v1/fleet/terminals', { terminalId, hardwareProfile: 'pi-pn532-uart' })).status,
      ).toBe(201);
    }
    const lease = { tenantId: f[tenant].tenantId, siteId: f[tenant].siteId };
    expect((await call('PUT', `/api/v1/fleet/terminals/${terminalId}/lease`, lease)).status).toBe(200);
    const response = await call('POST', `/api/v1/fleet/terminals/${terminalId}/provisioning`);
    expect(response.status).toBe(201);
    const bundle = (await response.json()) as Record<string, unknown>;
    writeFileSync(join(dir.path, file), JSON.stringify(bundle));
    return bundle;
  }

  const apply = (file: string, now?: Date) =>
    provision(join(dir.path, file), configPath(), { profilesDir: PROFILES, now: () => now ?? f.now.value });

  beforeEach(() => {
    dir = tempDir('provision');
    f = apiFixture(dir.path);
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  it('writes config, password and profile owner-only; the password is the one the server knows; twice is once', async () => {
    const bundle = await issueBundle('gate-new-01', 'a', 'bundle.json');
    expect(apply('bundle.json')).toMatchObject({ outcome: 'applied', terminalId: 'gate-new-01', forgottenTaps: 0 });
    const config = loadConfig(configPath());
    expect(config).toMatchObject({
      terminalId: 'gate-new-01',
      broker: { url: 'mqtts://broker.example:8883' },
      hardware: { profile: join(PROFILES, 'pi-pn532-uart.json') },
      provisioned: { issuedAt: bundle.issuedAt, siteId: f.a.siteId },
    });
    expect(mode(configPath())).toBe(0o600);
    expect(mode(config.broker.passwordFile)).toBe(0o600);
    const password = readFileSync(config.broker.passwordFile, 'utf8').trim();
    expect(f.store.directory.terminalSecretMatches('gate-new-01', password)).toBe(true);
    // Safe to run twice (the install script does): the same bundle changes nothing.
    const before = readFileSync(configPath(), 'utf8');
    expect(apply('bundle.json').outcome).toBe('already-applied');
    expect(readFileSync(configPath(), 'utf8')).toBe(before);
  });

  it('refuses a bundle for another terminal, an older bundle, one issued long ago, and junk, changing nothing', async () => {
    await issueBundle('gate-new-01', 'a', 'first.json');
    await issueBundle('gate-new-01', 'a', 'second.json');
    await issueBundle('gate-new-02', 'a', 'other.json');
    apply('second.json');
    const before = readFileSync(configPath(), 'utf8');
    const refusal = (file: string, now?: Date): ProvisionError => {
      try {
        apply(file, now);
      } catch (error) {
        if (error instanceof ProvisionError) return error;
        throw error;
      }
      throw new Error(`${file} was applied`);
    };
    expect(refusal('other.json')).toMatchObject({
      code: 'other_terminal',
      message: expect.stringContaining('gate-new-02'),
    });
    expect(refusal('first.json')).toMatchObject({
      code: 'stale',
      message: expect.stringContaining('before the one already applied'),
    });
    writeFileSync(
      join(dir.path, 'junk.json'),
      JSON.stringify({ v: 1, kind: 'ccus-gate-provisioning', terminalId: 'X!' }),
    );
    expect(refusal('junk.json')).toMatchObject({
      code: 'invalid_bundle',
      message: expect.stringContaining('terminalId'),
    });
    expect(readFileSync(configPath(), 'utf8')).toBe(before);
    await issueBundle('gate-new-01', 'a', 'third.json');
    expect(refusal('third.json', new Date(f.now.value.getTime() + 15 * 86_400_000))).toMatchObject({ code: 'stale' });
  });

  it("moves to another tenant's site: forgets its roster and delivered taps, keeps the taps still waiting", async () => {
    await issueBundle('gate-new-01', 'a', 'a.json');
    apply('a.json');
    const storePath = loadConfig(configPath()).store.path;
    // The default store path is the Pi's; point it into the test folder.
    const config = JSON.parse(readFileSync(configPath(), 'utf8'));
    config.store = { path: join(dir.path, 'terminal.db') };
    writeFileSync(configPath(), JSON.stringify(config), { mode: 0o600 });
    expect(storePath).toBe('/var/lib/ccus-gate/terminal.db');
    const newTap = (i: number) => ({
      card: parseCardRef('04A2B3C4'),
      workerId: parseWorkerId('11110000000001'),
      direction: 'in' as const,
      at: new Date(Date.UTC(2026, 10, 24, 0, i)),
      workingDay: '2026-11-24',
      bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
      mono: 1000 + i,
      clockSynced: true,
      flags: [],
    });
    const store = TerminalStore.open(join(dir.path, 'terminal.db'));
    store.commitTap(newTap(1));
    store.commitTap(newTap(2));
    store.close();

    // The first is delivered, the second still waits (the site went offline).
    const again = TerminalStore.open(join(dir.path, 'terminal.db'));
    again.settle({ from: 1, to: 1 }, [], new Date());
    again.close();

    await issueBundle('gate-new-01', 'b', 'b.json');
    expect(apply('b.json')).toMatchObject({ outcome: 'applied', forgottenTaps: 1, waitingTaps: 1 });
    expect(loadConfig(configPath()).provisioned?.siteId).toBe(f.b.siteId);
    const after = TerminalStore.open(join(dir.path, 'terminal.db'));
    expect(after.counts()).toEqual({ pending: 1, delivered: 0, rejected: 0 });
    expect(after.pendingAfter(0, 10).map((tap) => tap.seq)).toEqual([2]);
    expect(after.savedConfig()).toBeNull();
    // Sequence numbers go on: the server keys taps by terminal and sequence.
    expect(after.commitTap(newTap(3)).seq).toBe(3);
    after.close();
  });

  it('is a command: `ccus-gate-terminal provision <bundle>`', async () => {
    buildOnce();
    f.now.value = new Date(); // the command judges staleness by the machine's clock
    await issueBundle('gate-new-01', 'a', 'bundle.json');
    const run = () =>
      spawnSync(process.execPath, [CLI, 'provision', join(dir.path, 'bundle.json'), '--config', configPath()], {
        encoding: 'utf8',
      });
    const first = run();
    expect(first.stdout).toContain('terminal gate-new-01 provisioned');
    expect(first.status).toBe(0);
    expect(run().stdout).toContain('already applied');
  }, 120_000);
});
