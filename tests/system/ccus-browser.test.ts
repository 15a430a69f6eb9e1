import { join } from 'node:path';
import type { Stack } from '@ccus-gate/demo';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, phoneFit, SCREENSHOTS } from '../support/browser.js';
import { putOnCcus } from '../support/ccus-register.js';
import { startLocalStack } from '../support/local-stack.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

const WAIT = { timeout: 15_000 };
const NEWCOMER = '10000000000004';

/**
 * CCUS's own site roster on the dashboard, in Debian's Chromium against the whole `npm start`
 * stack (whose CCUS simulator the demo set up through the server's registration): a record
 * refused as not on CCUS's roster is fixed from the attention page, and a worker registered on
 * CCUS's roster elsewhere is imported after a preview, in Japanese on a desktop and in English
 * on a phone.
 */
describe("CCUS's site roster in a real browser", () => {
  const dir = tempDir('ccus-browser');
  let stack: Stack;
  let browser: Browser;
  let office: Page;

  const url = (path: string): string => `${stack.http.url}${path}`;
  const flash = async (page: Page): Promise<string> => (await page.locator('.flash').first().textContent()) ?? '';
  const signIn = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url('/signin'));
    await page.fill('input[name=login]', stack.demo.signIn.login);
    await page.fill('input[name=password]', stack.demo.signIn.password);
    await Promise.all([page.waitForURL(/\/today/), page.click('button[type=submit]')]);
    return page;
  };
  const ccus = async (path: string, body: object): Promise<void> => {
    expect(await putOnCcus(stack.ccusHttp.url, path, body), path).toBe(200);
  };

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startLocalStack(dir.path);
    office = await signIn(await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 } }));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    dir.remove();
  });

  it('was set up by the demo through the registration: CCUS holds the site and every demo worker', () => {
    const site = stack.simulator.register.sites.get(stack.demo.siteId);
    expect(site?.primeCompanyId).toBe('10000000000099');
    expect([...(site?.roster.keys() ?? [])].sort()).toEqual(stack.demo.workers.map((w) => w.workerId).sort());
  });

  it('offers the fix that works for a record refused as not on CCUS’s roster, and the record goes', async () => {
    const dropped = stack.demo.workers[1];
    if (dropped === undefined) throw new Error('the demo has a second worker');
    // CCUS loses the worker's place (a subcontractor's roster entry withdrawn, say); their tap is refused.
    stack.simulator.register.sites.get(stack.demo.siteId)?.roster.delete(dropped.workerId);
    stack.reader.present(dropped.card.tech, dropped.card.id);
    stack.reader.remove();
    const state = () =>
      stack.serverStore.queries.records(
        { tenantId: stack.demo.tenantId, companyId: '10000000000099' },
        { workerId: dropped.workerId, limit: 1, offset: 0 },
      )[0]?.ccus?.state;
    await waitFor('the record refused', () => state() === 'refused', 15_000);

    await office.goto(url('/attention'));
    const fix = office.locator('[data-testid=not-on-ccus-roster]');
    await fix.waitFor(WAIT);
    expect(await fix.textContent()).toContain('こちらの名簿に追加しても解決しません');
    await office.screenshot({ path: join(SCREENSHOTS, 'ccus-refusal-ja.png'), fullPage: true });
    await Promise.all([office.waitForURL(/\/attention/), fix.locator('button').click()]);
    expect(await flash(office)).toContain('CCUSに1人を登録しました(拒否 0人)。1件の就業履歴を再送します');
    await waitFor('the record accepted', () => state() === 'accepted', 15_000);
  });

  it('imports a worker registered on CCUS’s roster after showing the change, in Japanese and English, desktop and phone', async () => {
    await ccus(`/v1/workers/${NEWCOMER}`, { name: '高橋 四郎', employerCompanyId: '10000000000099', trades: ['内装'] });
    await ccus(`/v1/sites/${stack.demo.siteId}/workers/${NEWCOMER}`, {
      companyId: '10000000000099',
      trade: '内装',
      position: null,
      workContent: 'ボード張り',
    });

    await office.goto(url('/sites'));
    await Promise.all([office.waitForURL(/ccus-import/), office.click('[data-testid=ccus-actions] a')]);
    expect(await office.locator('[data-testid=ccus-import-add]').textContent()).toContain('高橋 四郎');
    await office.screenshot({ path: join(SCREENSHOTS, 'ccus-import-ja.png'), fullPage: true });
    await office.goto(url(`/sites/${stack.demo.siteId}/ccus-import?lang=en`));
    expect(await office.locator('h1').textContent()).toContain('Import from CCUS');
    await office.screenshot({ path: join(SCREENSHOTS, 'ccus-import-en.png'), fullPage: true });
    await office.goto(url('/sites'));
    await office.screenshot({ path: join(SCREENSHOTS, 'sites-ccus-en.png'), fullPage: true });

    const phone = await browser.newContext({ locale: 'en-GB', viewport: { width: 360, height: 780 }, isMobile: true });
    const small = await signIn(phone);
    for (const [lang, heading] of [
      ['ja', 'CCUSから取り込み'],
      ['en', 'Import from CCUS'],
    ] as const) {
      await small.goto(url(`/sites/${stack.demo.siteId}/ccus-import?lang=${lang}`));
      expect(await small.locator('h1').textContent()).toContain(heading);
      const fit = await phoneFit(small);
      expect(fit.overflow, lang).toBeLessThanOrEqual(0);
      expect(fit.sideways, lang).toEqual([]);
      expect(fit.unlabelled, lang).toBe(0);
      await small.screenshot({ path: join(SCREENSHOTS, `phone-ccus-import-${lang}.png`), fullPage: true });
    }
    // Nothing changed by looking.
    await small.goto(url('/workers'));
    expect(await small.locator('main').textContent()).not.toContain(NEWCOMER);

    await small.goto(url(`/sites/${stack.demo.siteId}/ccus-import`));
    await Promise.all([
      small.waitForURL(/ccus-import/),
      small.click(`form[action="/sites/${stack.demo.siteId}/ccus-import"] button`),
    ]);
    expect(await flash(small)).toContain('From CCUS: 1 workers added, 0 changed');
    expect(await small.locator('main').textContent()).toContain('already agree');
    await small.goto(url('/workers'));
    expect(await small.locator('main').textContent()).toContain('高橋 四郎');
    await phone.close();
  });
});
