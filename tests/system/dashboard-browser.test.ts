import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@ccus-gate/demo';
import { parseCardRef, parseCompanyId, parseWorkerId } from '@ccus-gate/protocol';
import { hashPassword } from '@ccus-gate/server';
import iconv from 'iconv-lite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, phoneFit, SCREENSHOTS } from '../support/browser.js';
import { startLocalStack } from '../support/local-stack.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

const SUB_PASSWORD = 'subcontractor password';
const WAIT = { timeout: 15_000 };

/**
 * The dashboard in Debian's Chromium, driven by playwright-core, against the whole stack
 * `npm start` runs (broker, sync server, CCUS simulator and a simulated terminal).
 */
describe('the dashboard in a real browser', () => {
  const dir = tempDir('dashboard-browser');
  let stack: Stack;
  let browser: Browser;
  let prime: BrowserContext;
  let page: Page;

  const url = (path: string): string => `${stack.http.url}${path}`;
  const shoot = async (target: Page, name: string): Promise<void> => {
    await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const flash = async (target: Page): Promise<string> => (await target.locator('.flash').first().textContent()) ?? '';

  const signIn = async (context: BrowserContext, login: string, password: string): Promise<Page> => {
    const signInPage = await context.newPage();
    await signInPage.goto(url('/'));
    await signInPage.fill('input[name=login]', login);
    await signInPage.fill('input[name=password]', password);
    await Promise.all([signInPage.waitForURL(/\/today/), signInPage.click('button[type=submit]')]);
    return signInPage;
  };

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startLocalStack(dir.path);
    // A subcontractor on the demo site, with its own worker and a dashboard user.
    const directory = stack.serverStore.directory;
    const subCompany = parseCompanyId('20000000000021');
    directory.createTenant({ tenantId: 'sub', companyId: subCompany, name: '下請工業株式会社' });
    directory.putSiteCompany({ tenantId: stack.demo.tenantId, companyId: '10000000000099' }, stack.demo.siteId, {
      companyId: subCompany,
      name: '下請工業株式会社',
      tier: 1,
      parentCompanyId: '10000000000099',
    });
    const subWorker = parseWorkerId('20000000000031');
    directory.addWorker({ workerId: subWorker, tenantId: 'sub', name: '高橋 三郎' });
    directory.addCard(parseCardRef('04C0FFEE'), subWorker);
    directory.addToRoster(stack.demo.siteId, subWorker, {}, { tenantId: 'sub', companyId: subCompany });
    directory.createUser('sub', {
      login: 'sub-admin',
      name: '下請 担当',
      role: 'admin',
      passwordHash: await hashPassword(SUB_PASSWORD),
    });

    prime = await browser.newContext({
      locale: 'ja-JP',
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    dir.remove();
  });

  it('signs in with the demo credentials', async () => {
    const signInPage = await prime.newPage();
    await signInPage.goto(url('/today'));
    expect(signInPage.url()).toContain('/signin');
    await shoot(signInPage, 'sign-in');
    await signInPage.close();
    page = await signIn(prime, stack.demo.signIn.login, stack.demo.signIn.password);
    expect(await page.locator('h1').textContent()).toContain('今日の現場');
  });

  it('shows a tap live after a card is read at the terminal, without reloading', async () => {
    await page.locator('main[data-live-state=open]').waitFor(WAIT);
    // A reload would drop this mark.
    await page.evaluate('window.stillThisPage = true');
    const worker = stack.demo.workers[0];
    if (worker === undefined) throw new Error('the demo has no workers');
    stack.reader.present(worker.card.tech, worker.card.id);
    stack.reader.remove();
    await page.locator('[data-testid=present]', { hasText: '山田 太郎' }).waitFor(WAIT);
    await page.locator('[data-testid=taps] tbody tr', { hasText: '山田 太郎' }).waitFor(WAIT);
    expect(await page.evaluate('window.stillThisPage')).toBe(true);

    stack.reader.tap('0499AABB');
    await page.locator('[data-testid=attention]', { hasText: '0499AABB' }).waitFor(WAIT);
    await shoot(page, 'today');
  });

  it('binds the unknown card to a worker, and its tap becomes theirs', async () => {
    await page.click('nav a[href="/attention"]');
    const item = page.locator('[data-card="0499AABB"]');
    await item.waitFor(WAIT);
    await shoot(page, 'attention');
    await item.locator('select[name=workerId]').selectOption('10000000000003');
    await item.locator('input[name=reason]').fill('新しいカードを受け取った');
    await Promise.all([page.waitForURL(/\/attention/), item.locator('button[type=submit]').click()]);
    expect(await flash(page)).toContain('カードを紐付けました。1件のタップを反映しました。');
    expect(await page.locator('[data-card="0499AABB"]').count()).toBe(0);
    await page.goto(url('/today'));
    await page.locator('[data-testid=present]', { hasText: '鈴木 一郎' }).waitFor(WAIT);
  });

  it("approves a subcontractor's manual entry as the prime contractor", async () => {
    const subContext = await browser.newContext({ locale: 'ja-JP' });
    const sub = await signIn(subContext, 'sub-admin', SUB_PASSWORD);
    await sub.goto(url('/attention'));
    const yesterday = new Date(Date.now() - 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Asia/Tokyo' });
    await sub.selectOption('#add-day-worker', '20000000000031');
    await sub.fill('input[name=workingDay]', yesterday);
    await sub.fill('input[name=firstIn]', '08:00');
    await sub.fill('input[name=lastOut]', '17:00');
    await sub.locator('form[action="/attention/add-day"] input[name=reason]').fill('カードを忘れた');
    await Promise.all([sub.waitForURL(/\/attention/), sub.click('form[action="/attention/add-day"] button')]);
    expect(await flash(sub)).toContain('元請の承認待ちです');
    await subContext.close();

    await page.goto(url('/attention'));
    const approval = page.locator('[data-testid=approvals] [data-correction]', { hasText: '高橋 三郎' });
    await approval.waitFor(WAIT);
    await Promise.all([page.waitForURL(/\/attention/), approval.locator('form[action$="/approve"] button').click()]);
    expect(await flash(page)).toContain('承認しました');
    await page.goto(url(`/records?month=${yesterday.slice(0, 7)}`));
    const row = page.locator('[data-testid=records] tbody tr', { hasText: '高橋 三郎' });
    await row.waitFor(WAIT);
    expect(await row.textContent()).toContain('手入力');
    await shoot(page, 'records');
  });

  it('downloads the 建退共 CSV in UTF-8 and in Windows-31J (Shift_JIS)', async () => {
    await page.goto(url('/exports'));
    await shoot(page, 'exports');
    const form = page.locator('form[action="/exports/kentaikyo.csv"]');
    const download = async (encoding: 'utf-8' | 'windows-31j'): Promise<Buffer> => {
      await form.locator(`input[name=encoding][value="${encoding}"]`).check();
      const [file] = await Promise.all([page.waitForEvent('download'), form.locator('button').click()]);
      return readFileSync((await file.path()) as string);
    };
    const utf8 = await download('utf-8');
    const sjis = await download('windows-31j');
    expect(utf8.toString('utf8')).toContain('山田 太郎');
    expect(sjis.includes(iconv.encode('山田 太郎', 'Shift_JIS'))).toBe(true);
    expect(sjis.includes(Buffer.from('山田 太郎', 'utf8'))).toBe(false);
    expect(iconv.decode(sjis, 'Shift_JIS')).toBe(utf8.toString('utf8').replace(/^\uFEFF/, ''));
  });

  it(
    'runs a self-test on the terminal and shows its result',
    async () => {
      await page.goto(url('/terminals'));
      await page.locator('main[data-live-state=open]').waitFor(WAIT);
      await Promise.all([page.waitForURL(/\/terminals/), page.click('form[action$="/selftest"] button')]);
      await page.locator('[data-testid=last-command]', { hasText: '自己診断 · 合格' }).waitFor(WAIT);
      // The result came by a live refresh: what the page said when the command was sent stays.
      // (A refresh used to replace it, so it was gone within a second of the page opening.)
      expect(await flash(page)).toContain('自己診断を端末に送りました');
      await shoot(page, 'terminals');
      // Longer than its waits together (reading the flash waits up to Playwright's 30 s): a
      // failure then names the step that waited, where the test's own 30 s limit named none.
    },
    4 * WAIT.timeout,
  );

  // On a loaded machine a page's refreshes can answer out of order: an older, slower answer
  // must never replace a newer one (it did, and the page then waited for the terminal's next
  // periodic status, a minute later).
  it('keeps the newest content when live refreshes answer out of order', async () => {
    await page.goto(url('/terminals'));
    await page.locator('main[data-live-state=open]').waitFor(WAIT);
    const command = (name: string) =>
      fetch(url(`/api/v1/terminals/${stack.demo.terminalId}/commands`), {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.demo.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ command: name }),
      });
    // Each refresh's answer is read as it comes: the first that shows the status report is held
    // back until the page shows the self-test sent after it, and then let through.
    let held: (() => Promise<void>) | null = null;
    let selftestShown = false;
    let selftestId = '';
    await page.route(url('/terminals'), async (route) => {
      if (route.request().headers()['x-partial'] !== 'main') return route.continue();
      const response = await route.fetch();
      const body = await response.text();
      if (held === null && body.includes('data-command="report_status"')) {
        held = () => route.fulfill({ response, body });
        return;
      }
      await route.fulfill({ response, body });
      if (selftestId !== '' && body.includes(`data-command-id="${selftestId}"`)) selftestShown = true;
    });
    // The page shows the last test's self-test; a status report, then a new self-test, follow.
    expect((await command('report_status')).status).toBe(202);
    await waitFor('a refresh showing the status report, held back', () => held !== null, 15_000);
    const sent = await command('selftest');
    expect(sent.status).toBe(202);
    selftestId = ((await sent.json()) as { id: string }).id;
    await page.locator(`[data-testid=last-command][data-command-id="${selftestId}"]`).waitFor(WAIT);
    expect(selftestShown).toBe(true);
    // Now the older answer arrives: it must not replace the newer page.
    await (held as unknown as () => Promise<void>)();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await page.locator('[data-testid=last-command]').getAttribute('data-command-id')).toBe(selftestId);
    await page.unroute(url('/terminals'));
  });

  it('serves an interactive API reference from the OpenAPI document, with nothing fetched from elsewhere', async () => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(url('/api/reference'));
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/records' }).first().waitFor(WAIT);
    await page.locator('button.authorize').waitFor(WAIT);
    await shoot(page, 'api-reference');
    expect(requested.filter((address) => !address.startsWith(stack.http.url) && !address.startsWith('data:'))).toEqual(
      [],
    );
    page.removeAllListeners('request');
  });

  it('subscribes the signed-in user to alert e-mail of the kinds chosen, and stops it', async () => {
    await page.goto(url('/alert-mail'));
    const form = page.locator('form[action="/alert-mail"]').first();
    await form.locator('input[name=target]').fill('office@example.jp');
    await form.locator('input[name=kind_unknown_cards]').uncheck();
    await Promise.all([page.waitForURL(/\/alert-mail$/), form.locator('button[type=submit]').click()]);
    expect(await flash(page)).toContain('登録しました');
    const entry = page.locator('[data-testid=subscriptions] li', { hasText: 'office@example.jp' });
    expect(await entry.textContent()).not.toContain('未登録カードのタッチ');
    expect(await entry.textContent()).toContain('端末が応答しない');
    await Promise.all([page.waitForURL(/\/alert-mail$/), entry.locator('button').click()]);
    expect(await flash(page)).toContain('停止しました');
  });

  it('switches to English and stays there', async () => {
    await page.goto(url('/workers'));
    await shoot(page, 'workers');
    await Promise.all([page.waitForURL(/lang=en/), page.click('a.lang')]);
    expect(await page.locator('h1').textContent()).toContain('Workers & roster');
    await page.click('nav a[href="/records"]');
    expect(await page.locator('h1').textContent()).toContain('Records');
    await shoot(page, 'records-en');
  });

  it('fits a phone screen: every page, tables as stacked rows, every page reachable, nothing sideways', async () => {
    const phone = await browser.newContext({ locale: 'ja-JP', viewport: { width: 360, height: 780 }, isMobile: true });
    const small = await signIn(phone, stack.demo.signIn.login, stack.demo.signIn.password);
    for (const name of [
      'today',
      'terminals',
      'records',
      'attention',
      'workers',
      'levels',
      'sites',
      'exports',
      'audit',
      'accounts',
      'password',
      'two-factor',
      'alert-mail',
    ]) {
      await small.goto(url(`/${name}`));
      // The page never scrolls sideways, nothing inside it does, and a table's cells say which column they are.
      const fit = await phoneFit(small);
      expect(fit.overflow, name).toBeLessThanOrEqual(0);
      expect(fit.sideways, name).toEqual([]);
      expect(fit.unlabelled, name).toBe(0);
      // Every page's link is on screen: the navigation wraps, it does not hide pages.
      const offScreen = (await small.evaluate(
        `[...document.querySelectorAll('nav a')].filter((a) => a.getBoundingClientRect().right > window.innerWidth).length`,
      )) as number;
      expect(offScreen, name).toBe(0);
      await shoot(small, `phone-${name}`);
    }
    // The encoding choices are radio buttons beside their names, not huge circles above them.
    await small.goto(url('/exports'));
    const radio = (await small.evaluate(
      `(() => { const r = document.querySelector('input[type=radio]').getBoundingClientRect(); return { width: r.width, height: r.height }; })()`,
    )) as { width: number; height: number };
    expect(radio.width).toBeLessThan(30);
    await phone.close();
  });
});
