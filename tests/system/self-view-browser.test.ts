import { join } from 'node:path';
import type { Stack } from '@ccus-gate/demo';
import { GATE_LANGUAGES } from '@ccus-gate/protocol';
import { SELF_VIEW_MESSAGES } from '@ccus-gate/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, phoneFit, SCREENSHOTS } from '../support/browser.js';
import { startLocalStack } from '../support/local-stack.js';
import { tempDir } from '../support/temp-dir.js';

const WAIT = { timeout: 15_000 };

/**
 * A worker's own page on a phone, in Debian's Chromium against the whole `npm start` stack:
 * the contractor issues the link on the dashboard, the worker opens it in each of the four
 * languages and reports a day they forgot their card, and the contractor approves it.
 */
describe('the worker self-view in a real browser, on a phone', () => {
  const dir = tempDir('self-view-browser');
  let stack: Stack;
  let browser: Browser;
  let office: Page;
  let link = '';

  const url = (path: string): string => `${stack.http.url}${path}`;

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startLocalStack(dir.path);
    const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } });
    office = await context.newPage();
    await office.goto(url('/signin'));
    await office.fill('input[name=login]', stack.demo.signIn.login);
    await office.fill('input[name=password]', stack.demo.signIn.password);
    await Promise.all([office.waitForURL(/\/today/), office.click('button[type=submit]')]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    dir.remove();
  });

  it('is issued on the workers page as a link and a QR code, shown once', async () => {
    const worker = stack.demo.workers[0]?.workerId as string;
    await office.goto(url('/workers'));
    await Promise.all([
      office.waitForURL(/\/link$/),
      office.locator(`form[action="/workers/${worker}/link"] button`).click(),
    ]);
    link = ((await office.locator('[data-testid=link-url]').textContent()) ?? '').trim();
    expect(link).toMatch(new RegExp(`^${stack.http.url}/w/[A-Za-z0-9_-]{32}$`));
    expect(await office.locator('[data-testid=link-qr] svg').count()).toBe(1);
  });

  it('opens on a phone in Japanese, English, Vietnamese and Indonesian, fitting the screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 780 }, isMobile: true, locale: 'vi-VN' });
    const page = await phone.newPage();
    for (const lang of GATE_LANGUAGES) {
      const t = SELF_VIEW_MESSAGES[lang];
      await page.goto(`${link}?lang=${lang}`);
      expect(await page.getAttribute('html', 'lang')).toBe(lang);
      expect(await page.locator('h1').textContent()).toBe(t.title);
      expect(await page.locator('[data-testid=claim] h2').textContent()).toBe(t.missedHeading);
      const fit = await phoneFit(page);
      expect(fit.overflow, lang).toBeLessThanOrEqual(0);
      expect(fit.unlabelled, lang).toBe(0);
      await page.screenshot({ path: join(SCREENSHOTS, `self-view-${lang}.png`), fullPage: true });
    }
    // With no choice in the link, the phone's own language.
    await page.goto(link);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    await phone.close();
  });

  it('takes a missed day from the phone, which the contractor approves on the dashboard', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 780 }, isMobile: true, locale: 'id-ID' });
    const page = await phone.newPage();
    const t = SELF_VIEW_MESSAGES.id;
    await page.goto(`${link}?lang=id`);
    const yesterday = new Date(Date.now() - 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Asia/Tokyo' });
    await page.fill('input[name=day]', yesterday);
    await page.fill('input[name=entry]', '07:45');
    await page.fill('input[name=exit]', '16:30');
    await page.fill('input[name=note]', 'lupa kartu');
    await Promise.all([page.waitForURL(/sent=1/), page.click('[data-testid=claim] button[type=submit]')]);
    expect(await page.locator('.flash').textContent()).toBe(t.sent);
    expect(await page.locator('[data-testid=claims]').textContent()).toContain(t.claimWaiting);

    await office.goto(url('/attention'));
    const claim = office.locator('[data-testid=approvals] [data-correction]', { hasText: '(own claim)' });
    await claim.waitFor(WAIT);
    expect(await claim.textContent()).toContain('lupa kartu');
    await Promise.all([office.waitForURL(/\/attention/), claim.locator('form[action$="/approve"] button').click()]);
    expect(await office.locator('.flash').first().textContent()).toContain('承認しました');

    await page.reload();
    expect(await page.locator('[data-testid=claims]').textContent()).toContain(t.claimApproved);
    await page.screenshot({ path: join(SCREENSHOTS, 'self-view-claimed.png'), fullPage: true });
    await phone.close();
  });
});
