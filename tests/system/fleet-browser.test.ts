import { join } from 'node:path';
import type { Stack } from '@ccus-gate/demo';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, phoneFit, SCREENSHOTS } from '../support/browser.js';
import { startLocalStack } from '../support/local-stack.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/**
 * The fleet operator's pages in Debian's Chromium against the whole `npm start` stack (its
 * simulated terminal reporting): signed in with an operator token, the terminals with their
 * release, a release and its rollout, in Japanese on a desktop and English on a phone, with
 * screenshots and no page wider than the phone.
 */
describe('the fleet pages in a real browser', () => {
  const dir = tempDir('fleet-browser');
  let stack: Stack;
  let browser: Browser;
  let operatorToken: string;

  const url = (path: string): string => `${stack.http.url}${path}`;
  const signIn = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url('/fleet/signin'));
    await page.fill('input[name=token]', operatorToken);
    await Promise.all([page.waitForURL(/\/fleet$/), page.click('button[type=submit]')]);
    return page;
  };

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startLocalStack(dir.path);
    operatorToken = stack.serverStore.directory.createApiToken(null, 'operator', 'fleet desk');
    stack.serverStore.updates.addRelease({
      version: '0.9.1',
      sha256: 'b'.repeat(64),
      size: 4321,
      signature: 'B'.repeat(88),
      publishedAt: new Date().toISOString(),
      publishedBy: 'fleet desk',
    });
    const terminalId = stack.demo.terminalId;
    stack.serverStore.updates.offer('0.9.1', [terminalId], 'https://fleet.example.jp/updates/0.9.1.tar.gz');
    // The demo terminal's status has reached the server: its firmware shows.
    await waitFor(
      'the demo terminal to report',
      () => stack.serverStore.directory.terminalView(null, terminalId).status !== null,
      20_000,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    dir.remove();
  });

  it('shows the fleet, a release and its rollout on a desktop, in Japanese', async () => {
    const page = await signIn(await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } }));
    const row = page.locator(`tr[data-terminal="${stack.demo.terminalId}"]`);
    expect(await row.locator('td[data-firmware]').getAttribute('data-firmware')).toMatch(/^\d+\.\d+\.\d+/);
    expect(await page.locator('nav a[aria-current=page]').textContent()).toBe('端末');
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet-terminals-ja.png'), fullPage: true });

    await page.goto(url('/fleet/releases'));
    expect(await page.locator('tr[data-release="0.9.1"]').textContent()).toContain('配信済み・未着手 1');
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet-releases-ja.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/fleet\/rollouts\/0\.9\.1/), page.click('a[href="/fleet/rollouts/0.9.1"]')]);
    expect(await page.locator('h1').textContent()).toBe('リリース 0.9.1 の配信');
    await page.screenshot({ path: join(SCREENSHOTS, 'fleet-rollout-ja.png'), fullPage: true });
  });

  it('fits every fleet page on a phone, in English and Japanese', async () => {
    const phone = await browser.newContext({ locale: 'en-GB', viewport: { width: 360, height: 780 }, isMobile: true });
    const page = await signIn(phone);
    for (const lang of ['en', 'ja'] as const) {
      for (const [path, name] of [
        ['/fleet', 'terminals'],
        ['/fleet/releases', 'releases'],
        ['/fleet/rollouts/0.9.1', 'rollout'],
      ] as const) {
        await page.goto(url(`${path}?lang=${lang}`));
        const fit = await phoneFit(page);
        expect(fit.overflow, `${path} ${lang}`).toBeLessThanOrEqual(0);
        expect(fit.sideways, `${path} ${lang}`).toEqual([]);
        expect(fit.unlabelled, `${path} ${lang}`).toBe(0);
        await page.screenshot({ path: join(SCREENSHOTS, `phone-fleet-${name}-${lang}.png`), fullPage: true });
      }
    }
    // Signing out ends it: the pages ask for the token again.
    await page.goto(url('/fleet'));
    await Promise.all([page.waitForURL(/\/fleet\/signin/), page.click('form[action="/fleet/signout"] button')]);
    await page.goto(url('/fleet'));
    expect(page.url()).toMatch(/\/fleet\/signin$/);
  });
});
