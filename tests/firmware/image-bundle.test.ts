import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProvisioningBundleSchema } from '@ccus-gate/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce } from '../support/terminal-process.js';

const ROOT = join(import.meta.dirname, '../..');
const APPLY = join(ROOT, 'firmware/image/files/apply-bundle');

/**
 * The SD card image's first boot (ccus-gate-bundle.service): the bundle a technician put on
 * the boot partition is applied as the service user, then deleted; one that is refused stays,
 * renamed, with why beside it for a technician who reads the card in a laptop. Run here as
 * root against a folder, as a user that is not root (`nobody`), as on the card.
 */
describe("the SD card image's bundle on the boot partition", () => {
  const dir = tempDir('image-bundle');
  const boot = join(dir.path, 'boot');
  const etc = join(dir.path, 'etc');
  const nobody = { uid: Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout) };

  const bundle = (issuedAt: Date) =>
    ProvisioningBundleSchema.parse({
      v: 1,
      kind: 'ccus-gate-provisioning',
      terminalId: 'gate-image-01',
      password: 'a-password-the-server-issued',
      broker: { url: 'mqtts://broker.example.jp:8883' },
      siteId: '11',
      hardwareProfile: 'pi-pn532-uart',
      issuedAt: issuedAt.toISOString(),
    });
  const apply = () =>
    spawnSync('bash', [APPLY, join(boot, 'ccus-gate-bundle.json')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        TMPDIR: dir.path,
        CCUS_GATE_USER: 'nobody',
        CCUS_GATE_CLI: join(ROOT, 'firmware/dist/cli/main.js'),
        CCUS_GATE_CONFIG: join(etc, 'terminal.json'),
      },
    });

  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error('this suite runs the script as root, as systemd does: run as root');
    buildOnce();
    chmodSync(dir.path, 0o755);
    mkdirSync(boot, { mode: 0o700 });
    mkdirSync(etc, { mode: 0o700 });
    chownSync(etc, nobody.uid, statSync(etc).gid);
  });

  it('refuses a stale bundle, keeps it renamed, and writes why beside it', () => {
    writeFileSync(join(boot, 'ccus-gate-bundle.json'), JSON.stringify(bundle(new Date(Date.now() - 60 * 86_400_000))));
    const result = apply();
    expect(result.status).toBe(1);
    expect(existsSync(join(boot, 'ccus-gate-bundle.json'))).toBe(false);
    expect(existsSync(join(boot, 'ccus-gate-bundle.json.refused'))).toBe(true);
    expect(readFileSync(join(boot, 'ccus-gate-bundle-refused.txt'), 'utf8')).toMatch(
      /refused[\s\S]*more than \d+ days ago[\s\S]*Put a fresh bundle/,
    );
    expect(existsSync(join(etc, 'terminal.json'))).toBe(false);
  });

  it('applies a fresh one as the service user, and deletes it: it holds the password', () => {
    writeFileSync(join(boot, 'ccus-gate-bundle.json'), JSON.stringify(bundle(new Date())));
    const result = apply();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/terminal gate-image-01 provisioned/);
    expect(existsSync(join(boot, 'ccus-gate-bundle.json'))).toBe(false);
    expect(existsSync(join(boot, 'ccus-gate-bundle-refused.txt'))).toBe(false);
    const config = statSync(join(etc, 'terminal.json'));
    expect({ uid: config.uid, mode: config.mode & 0o777 }).toEqual({ uid: nobody.uid, mode: 0o600 });
    expect(JSON.parse(readFileSync(join(etc, 'terminal.json'), 'utf8'))).toMatchObject({
      terminalId: 'gate-image-01',
      broker: { url: 'mqtts://broker.example.jp:8883' },
    });
    expect(readFileSync(join(etc, 'terminal.password'), 'utf8').trim()).toBe('a-password-the-server-issued');
  });
});
