import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeReleaseKey } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { onlineStatus } from '../support/terminal-status.js';
import { WebClient, type WebFixture, webFixture } from '../support/web-client.js';

/**
 * The fleet operator's pages (/fleet) over HTTP: signed in with an operator API token, every
 * terminal with its release and update, the releases with their rollouts, rolling one out and
 * withdrawing it; a tenant's user and any other token kept out.
 */
describe('the fleet pages', () => {
  const dir = tempDir('fleet-dashboard');
  let f: WebFixture;

  beforeEach(async () => {
    const key = makeReleaseKey(join(dir.path, 'operator'));
    const publicKeyPem = readFileSync(key.publicFile, 'utf8');
    f = await webFixture(dir.path, {
      updates: {
        publicKey: createPublicKey(publicKeyPem),
        publicKeyPem,
        dir: join(dir.path, 'releases'),
        publicUrl: 'https://fleet.example.jp',
      },
    });
    f.store.updates.addRelease({
      version: '0.9.1',
      sha256: 'a'.repeat(64),
      size: 1234,
      signature: 'A'.repeat(88),
      publishedAt: '2026-11-24T01:00:00.000Z',
      publishedBy: 'fleet',
    });
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  const operator = async (token = f.operator): Promise<{ browser: WebClient; response: Response }> => {
    const browser = new WebClient(f.web);
    await browser.get('/fleet/signin');
    const response = await browser.request('POST', '/fleet/signin', { _csrf: browser.csrf(), token });
    return { browser, response };
  };

  it('lets in only the holder of an operator token, and a revoked token ends the session', async () => {
    const stranger = new WebClient(f.web);
    const away = await stranger.request('GET', '/fleet');
    expect(away.status).toBe(302);
    expect(away.headers.get('location')).toBe('/fleet/signin');
    for (const token of [f.a.admin, 'ccg_not-a-token-at-all']) {
      const { response } = await operator(token);
      expect(response.status).toBe(401);
      expect(await response.text()).toContain('オペレーターのAPIトークンではありません');
    }
    // A tenant's signed-in user is not the operator.
    const tenantUser = await f.client('a-admin');
    expect((await tenantUser.request('GET', '/fleet')).status).toBe(302);

    const { browser, response } = await operator();
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/fleet');
    expect((await browser.get('/fleet')).status).toBe(200);
    expect(browser.html).not.toContain(f.operator); // the token itself is never shown

    const id = f.store.directory.tokens(null)[0]?.id as string;
    f.store.directory.revokeToken(null, id);
    const after = await browser.request('GET', '/fleet');
    expect(after.status).toBe(302);
  });

  it("shows every tenant's terminals with the release each runs and how its update goes", async () => {
    f.store.directory.setTerminalStatus(
      f.a.terminalId,
      onlineStatus(f.a.terminalId, {
        firmware: '0.9.0',
        update: {
          version: '0.9.1',
          state: 'downloading',
          detail: 'downloading 1234 bytes',
          at: f.now.value.toISOString(),
        },
      }),
    );
    const { browser } = await operator();
    await browser.get('/fleet?lang=en');
    const row = (terminalId: string) =>
      new RegExp(`<tr data-terminal="${terminalId}">(.*?)</tr>`, 's').exec(browser.html)?.[1] ?? '';
    expect(row(f.a.terminalId)).toContain('data-firmware="0.9.0"');
    expect(row(f.a.terminalId)).toContain('0.9.1: downloading');
    expect(row(f.b.terminalId)).toContain('offline');
    // Each terminal with the tenant leasing it, by name.
    const name = (tenantId: string) => f.store.directory.tenants().find((t) => t.tenantId === tenantId)?.name as string;
    expect(row(f.a.terminalId)).toContain(name(f.a.tenantId));
    expect(row(f.b.terminalId)).toContain(name(f.b.tenantId));
  });

  it('rolls a release out from its page, follows it per terminal, and withdraws it', async () => {
    const { browser } = await operator();
    await browser.get('/fleet/releases');
    expect(browser.html).toContain('data-release="0.9.1"');
    const rolled = await browser.post('/fleet/rollouts', { version: '0.9.1', share: '100', terminals: '' });
    expect(rolled.headers.get('location')).toBe('/fleet/rollouts/0.9.1');
    const page = await browser.follow(rolled);
    expect(page).toContain('0.9.1 を2台に配信しました');
    expect(page).toContain(`data-terminal="${f.a.terminalId}" data-state="offered"`);
    expect(f.store.directory.configFor(f.a.terminalId)?.update?.version).toBe('0.9.1');

    const audit = f.store.db.sql(`SELECT count(*) AS n FROM audit_log WHERE action = 'roll_out_release'`).get() as {
      n: number;
    };
    expect(audit.n).toBe(1);

    const withdrawn = await browser.post('/fleet/rollouts/0.9.1/withdraw', {});
    expect(await browser.follow(withdrawn)).toContain('0.9.1 の配信を2台から取り下げました');
    expect(f.store.directory.configFor(f.a.terminalId)?.update).toBeUndefined();

    // A mistake is named, and changes nothing.
    await browser.get('/fleet/releases');
    const wrong = await browser.post('/fleet/rollouts', { version: '0.9.1', share: '0', terminals: '' });
    expect(await browser.follow(wrong)).toContain('share');
    const unknown = await browser.request('GET', '/fleet/rollouts/9.9.9');
    expect(unknown.status).toBe(404);
  });

  it('refuses a change without the session’s CSRF token', async () => {
    const { browser } = await operator();
    await browser.get('/fleet/releases');
    const forged = await browser.request('POST', '/fleet/rollouts', { version: '0.9.1', share: '100' });
    expect(forged.status).toBe(403);
    expect(f.store.directory.configFor(f.a.terminalId)?.update).toBeUndefined();
  });
});
