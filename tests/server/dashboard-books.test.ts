import type { Health, UpdateState } from '@ccus-gate/protocol';
import { describe, expect, it } from 'vitest';
import { onlineStatus } from '../support/terminal-status.js';
import { auditCount, freshWebFixtures, unknownCardIds, WebClient, type WebFixture } from '../support/web-client.js';

/**
 * The dashboard over HTTP, as a browser drives it: people and API tokens, workers and cards,
 * sites, terminals (settings, health, updates, self-tests), the audit trail, CSRF and roles.
 */
describe('the contractor dashboard: books and terminals', () => {
  let f: WebFixture;
  freshWebFixtures('dashboard-books', (fixture) => {
    f = fixture;
  });

  it('adds a person who can then sign in, and removes them, which ends their session', async () => {
    const admin = await f.client('a-admin');
    await admin.get('/accounts');
    expect(/data-testid="users">(.*?)<\/table>/s.exec(admin.html)?.[1]).toContain('a-viewer');
    // No way to remove oneself mid-task.
    expect(/<tr data-user="a-admin">(.*?)<\/tr>/s.exec(admin.html)?.[1]).not.toContain('/remove');
    const added = await admin.post('/accounts/users', {
      name: '新人 花子',
      login: 'a-hanako',
      role: 'viewer',
      password: '  spaces count  ',
      back: '/accounts',
    });
    expect(await admin.follow(added)).toContain('a-hanako を追加しました');
    const audit = (await (await f.call(f.a.admin, 'GET', '/api/v1/audit')).json()) as {
      audit: { actor: string; action: string }[];
    };
    expect(audit.audit[0]).toMatchObject({ actor: 'A 管理者 (a-admin)', action: 'create_user' });

    const hanako = new WebClient(f.web);
    expect((await hanako.signIn('a-hanako', 'spaces count')).status).not.toBe(303);
    expect((await hanako.signIn('a-hanako', '  spaces count  ')).status).toBe(303);
    await hanako.get('/today');
    expect(hanako.html).toContain('新人 花子');
    expect(hanako.html).not.toContain('href="/accounts"'); // a viewer's navigation has no accounts

    await admin.get('/accounts');
    const userId = /action="\/accounts\/users\/([^/"]+)\/remove"[^>]*data-confirm="[^"]*新人 花子/.exec(
      admin.html,
    )?.[1];
    expect(userId).toBeDefined();
    await admin.follow(await admin.post(`/accounts/users/${userId}/remove`, { back: '/accounts' }));
    expect(/data-testid="users">(.*?)<\/table>/s.exec(admin.html)?.[1]).not.toContain('a-hanako');
    expect((await hanako.request('GET', '/today')).status).toBe(302);
  });

  it('makes an API token, shows it this once, and revokes it', async () => {
    const admin = await f.client('a-admin');
    await admin.get('/accounts');
    const made = await admin.post('/accounts/tokens', { label: '給与システム', role: 'viewer' });
    expect(made.status).toBe(200);
    expect(made.headers.get('cache-control')).toBe('no-store');
    const shown = await made.text();
    const token = /<code class="secret">([^<]+)<\/code>/.exec(shown)?.[1] ?? '';
    expect(token.length).toBeGreaterThan(20);
    expect(shown).toContain('トークン「給与システム」を作りました');
    expect(shown).toContain('name="back" value="/accounts"');
    expect((await f.web.request('/api/v1/workers', { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );

    await admin.get('/accounts');
    expect(admin.html).not.toContain(token);
    const id = /<tr data-token="([0-9a-f]{16})"><td>給与システム<\/td>/.exec(admin.html)?.[1];
    expect(id).toBeDefined();
    const revoked = await admin.post(`/accounts/tokens/${id}/revoke`, { back: '/accounts' });
    expect(await admin.follow(revoked)).toContain('保存しました');
    expect((await f.web.request('/api/v1/workers', { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    );
  });

  it('keeps accounts from a viewer', async () => {
    const tokens = async (): Promise<unknown[]> =>
      ((await (await f.call(f.a.admin, 'GET', '/api/v1/tokens')).json()) as { tokens: unknown[] }).tokens;
    const before = await tokens();
    const viewer = await f.client('a-viewer');
    const page = await viewer.get('/accounts');
    expect(page.status).toBe(403);
    expect(viewer.html).not.toContain('a-admin');
    await viewer.get('/today');
    const tried = await viewer.post('/accounts/tokens', { label: 'x', role: 'admin' });
    expect(tried.status).toBe(303);
    expect(await viewer.follow(tried)).toContain('この操作には管理者の権限が必要です');
    expect(await tokens()).toEqual(before);
  });

  it('sends a self-test to the terminal', async () => {
    const browser = await f.client('a-admin');
    await browser.get('/terminals');
    const sent = await browser.post(`/terminals/${f.a.terminalId}/selftest`, { back: '/terminals' });
    expect(await browser.follow(sent)).toContain('自己診断を端末に送りました');
    expect(f.effects.commands).toEqual([`${f.a.terminalId}:selftest`]);
  });

  it("shows each terminal's health and warns where a technician is needed", async () => {
    const at = f.now.value.toISOString();
    const healthy: Health = {
      cpuTempC: 52.1,
      throttled: null,
      diskFreeBytes: 20 * 1024 ** 3,
      diskTotalBytes: 32 * 1024 ** 3,
      storeBytes: 5 * 1024 ** 2,
      tapsPerDay: 400,
      daysOfTapsLeft: 3650,
      memoryRssBytes: 70 * 1024 ** 2,
      memoryAvailableBytes: 1024 ** 3,
      uptimeSeconds: 86_400,
      readerErrors: 0,
    };
    const status = (health: Health) => onlineStatus(f.a.terminalId, { at, health });
    f.store.directory.setTerminalStatus(f.a.terminalId, status(healthy));
    const browser = await f.client('a-admin');
    await browser.get('/terminals');
    expect(browser.html).toContain('温度 52.1 °C');
    expect(browser.html).toContain('3,650日分');
    expect(browser.html).not.toContain('data-warning');

    f.store.directory.setTerminalStatus(
      f.a.terminalId,
      status({
        ...healthy,
        cpuTempC: 83.4,
        throttled: {
          underVoltage: false,
          throttled: true,
          softTempLimit: true,
          underVoltageSinceBoot: true,
          throttledSinceBoot: true,
        },
        diskFreeBytes: 300 * 1024 ** 2,
        daysOfTapsLeft: 6.5,
      }),
    );
    await browser.get('/terminals?lang=en');
    const warnings = [...browser.html.matchAll(/data-warning="([a-z_]+)"/g)].map((m) => m[1]);
    expect(warnings).toEqual(['hot', 'under_voltage', 'throttled', 'disk_low', 'few_days_left']);
    expect(browser.html).toContain('Under-voltage: replace the power supply or its cable');
    expect(browser.html).toContain('300 MB free');

    // A terminal whose light board would not open takes taps without feedback: said so.
    f.store.directory.setTerminalStatus(
      f.a.terminalId,
      status({ ...healthy, outputsFault: 'green on BCM 17 (sysfs 529): no Raspberry Pi header GPIO chip' }),
    );
    await browser.get('/terminals?lang=en');
    expect([...browser.html.matchAll(/data-warning="([a-z_]+)"/g)].map((m) => m[1])).toEqual(['outputs_unavailable']);
    expect(browser.html).toContain('Lights, buzzer and relay would not start');
  });

  it("shows a terminal's update: in progress, and one it had to roll back", async () => {
    const online = onlineStatus(f.a.terminalId, { firmware: '0.9.1' });
    const update = (state: UpdateState, detail: string) => ({ version: '0.9.2', state, detail, at: online.at });
    f.store.directory.setTerminalStatus(f.a.terminalId, { ...online, update: update('waiting', 'installed') });
    const browser = await f.client('a-admin');
    await browser.get('/terminals');
    expect(browser.html).toContain('data-update="waiting"');
    expect(browser.html).toContain('0.9.2: インストール済み・空き時間待ち');
    f.store.directory.setTerminalStatus(f.a.terminalId, {
      ...online,
      update: update('rolled_back', 'release 0.9.2 failed to start 3 times: back to 0.9.1'),
    });
    await browser.get('/terminals?lang=en');
    expect(browser.html).toMatch(
      /class="badge warn" data-update="rolled_back" title="release 0\.9\.2 failed to start 3 times: back to 0\.9\.1"/,
    );
    expect(browser.html).toContain('0.9.2: rolled back');
    // Done and confirmed: the version alone says it.
    f.store.directory.setTerminalStatus(f.a.terminalId, {
      ...online,
      firmware: '0.9.2',
      update: update('confirmed', ''),
    });
    await browser.get('/terminals');
    expect(browser.html).not.toContain('data-update=');
  });

  it("asks a site's terminal to bind the next new card tapped there to a worker", async () => {
    const browser = await f.client('a-admin');
    await browser.get('/workers');
    expect(browser.html).toContain(`action="/workers/${f.a.worker}/enrol"`);
    const asked = await browser.post(`/workers/${f.a.worker}/enrol`, {
      terminalId: f.a.terminalId,
      back: '/workers',
    });
    expect(await browser.follow(asked)).toContain(`2分以内に端末 ${f.a.terminalId} で新しいカードをタッチしてください`);
    expect(f.store.enrolments.waiting({ tenantId: f.a.tenantId, companyId: f.a.companyId })).toEqual([
      expect.objectContaining({ terminalId: f.a.terminalId, workerId: f.a.worker }),
    ]);
  });

  it('shows the audit trail to anyone of the tenant, filtered by action, day and text, and none of another tenant', async () => {
    await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: '88880000000008', name: '監査 太郎' });
    await f.call(f.a.admin, 'PATCH', `/api/v1/workers/${f.a.worker}`, { name: '技能者 a 改名' });
    await f.call(f.b.admin, 'POST', '/api/v1/workers', { workerId: '99990000000009', name: 'B の人' });
    const viewer = await f.client('a-viewer');
    await viewer.get('/audit');
    expect(viewer.html).toContain('data-action="add_worker"');
    expect(viewer.html).toContain('data-action="update_worker"');
    expect(viewer.html).not.toContain('99990000000009');
    await viewer.get('/audit?action=update_worker');
    expect(viewer.html).not.toContain('data-action="add_worker"');
    expect(viewer.html).toContain('技能者 a 改名');
    await viewer.get('/audit?text=88880000000008');
    expect([...viewer.html.matchAll(/data-action="([a-z_]+)"/g)].map((m) => m[1])).toEqual(['add_worker']);
    await viewer.get('/audit?from=2099-01-01');
    expect(viewer.html).toContain('該当する記録はありません');
    await viewer.get('/audit?action=%3Cscript%3E&from=junk');
    expect(viewer.html).toContain('data-action="add_worker"');
  });

  it("changes a terminal's settings from its card; the terminal is sent its new config; viewers see no form", async () => {
    const admin = await f.client('a-admin');
    await admin.get('/terminals');
    expect(admin.html).toContain(`action="/terminals/${f.a.terminalId}/settings"`);
    const saved = await admin.post(`/terminals/${f.a.terminalId}/settings`, {
      directionMode: 'two-reader',
      debounceSeconds: '30',
      unknownCard: 'refuse',
      retentionDays: '60',
      back: '/terminals',
    });
    expect(await admin.follow(saved)).toContain(`端末 ${f.a.terminalId} の設定を保存しました`);
    expect(f.store.directory.terminalView(null, f.a.terminalId).settings).toEqual({
      directionMode: 'two-reader',
      debounceSeconds: 30,
      unknownCard: 'refuse',
      retentionDays: 60,
    });
    expect(f.effects.configs).toContain(f.a.terminalId);
    const bad = await admin.post(`/terminals/${f.a.terminalId}/settings`, {
      directionMode: 'sideways',
      debounceSeconds: '-1',
      unknownCard: 'refuse',
      retentionDays: '60',
      back: '/terminals',
    });
    expect(await admin.follow(bad)).toContain('directionMode');
    const viewer = await f.client('a-viewer');
    await viewer.get('/terminals');
    expect(viewer.html).not.toContain('/settings"');
  });

  it('shows the sites and their structure; the prime registers a site, a subcontractor, and changes the settings', async () => {
    const admin = await f.client('a-admin');
    await admin.get('/sites');
    expect(admin.html).toContain(`data-site="${f.a.siteId}"`);
    expect(admin.html).toContain(`data-company="${f.sub.companyId}"`);
    const added = await admin.post(`/sites/${f.a.siteId}/companies`, {
      companyId: '77777777777777',
      name: '孫請 工業',
      tier: '2',
      parentCompanyId: f.sub.companyId,
      back: '/sites',
    });
    expect(await admin.follow(added)).toContain('現場を保存しました');
    expect(admin.html).toContain('data-company="77777777777777"');
    await admin.post(`/sites/${f.a.siteId}/settings`, { name: '現場 a 第2期', maxShiftHours: '20', back: '/sites' });
    expect(
      (await f.store.directory.site({ tenantId: f.a.tenantId, companyId: f.a.companyId }, f.a.siteId)).maxShiftHours,
    ).toBe(20);
    const created = await admin.post('/sites', {
      siteId: '20260000000077',
      name: '新しい現場',
      dayBoundary: '05:00',
      maxShiftHours: '16',
      back: '/sites',
    });
    expect(await admin.follow(created)).toContain('data-site="20260000000077"');
    const removed = await admin.post(`/sites/${f.a.siteId}/companies/77777777777777/remove`, { back: '/sites' });
    expect(await admin.follow(removed)).not.toContain('data-company="77777777777777"');
    // The subcontractor sees A's site, read-only.
    const sub = await f.client('sub-admin');
    await sub.get('/sites');
    expect(sub.html).toContain(`data-site="${f.a.siteId}"`);
    expect(sub.html).not.toContain(`action="/sites/${f.a.siteId}/settings"`);
  });

  it('adds a worker, a card and a roster place, and removes them', async () => {
    const browser = await f.client('a-admin');
    await browser.get('/workers');
    // Two workers may share a name: the roster's choice shows each with its ID.
    expect(browser.html).toContain(`技能者 a · ${f.a.worker}`);
    await browser.post('/workers', {
      workerId: '11110000000077',
      name: '新人 次郎',
      trades: 'とび、土工',
      position: '',
    });
    await browser.post('/workers/11110000000077/cards', { card: '04 77 77 77' });
    await browser.post('/roster/add', {
      site: f.a.siteId,
      workerId: '11110000000077',
      trade: '土工',
      position: 'leader',
      workContent: '掘削',
      periodFrom: '2026-11-01',
      periodUntil: '2027-03-31',
    });
    await browser.get('/workers');
    const roster = /data-testid="roster">(.*?)<\/table>/s.exec(browser.html)?.[1] ?? '';
    for (const shown of ['新人 次郎', '土工', '班長', '掘削', '2026-11-01 – 2027-03-31'])
      expect(roster).toContain(shown);
    expect(browser.html).toContain('とび、土工');
    expect(browser.html).toContain('mifare:04777777');
    const removed = await browser.post('/workers/11110000000077/remove', { back: '/workers' });
    expect(await browser.follow(removed)).not.toContain('新人 次郎');
  });

  it('keeps what a form names inside its own API route: a card ID of "../../workers/…" removes no worker', async () => {
    const browser = await f.client('a-admin');
    await browser.get('/workers');
    await browser.post('/workers', { workerId: '11110000000078', name: '残る 三郎', trades: '', position: '' });
    const before = auditCount(f);
    // Unencoded, this path would resolve to DELETE /api/v1/workers/11110000000078.
    const tricked = await browser.post('/cards/remove', {
      tech: 'felica',
      card: '../../workers/11110000000078',
      back: '/workers',
    });
    expect(await browser.follow(tricked)).toContain('できませんでした');
    const emptied = await browser.post('/roster/remove', { site: f.a.siteId, workerId: '', back: '/workers' });
    expect(await browser.follow(emptied)).toContain('できませんでした');
    const kept = await f.call(f.a.admin, 'GET', '/api/v1/workers/11110000000078');
    expect(kept.status).toBe(200);
    expect(auditCount(f)).toBe(before);
  });

  it('refuses a change without the session’s CSRF token, and changes nothing', async () => {
    const a = await f.client('a-admin');
    const b = await f.client('b-admin');
    await a.get('/attention');
    await b.get('/attention');
    const before = auditCount(f);
    const fields = { tech: 'mifare', card: 'A1A1A1A1', workerId: f.a.worker, reason: 'x' };
    expect((await a.request('POST', '/attention/bind', fields)).status).toBe(403);
    expect((await a.request('POST', '/attention/bind', { ...fields, _csrf: b.csrf() })).status).toBe(403);
    expect(auditCount(f)).toBe(before);
    expect(await unknownCardIds(f, f.a.admin)).toContain('A1A1A1A1');
  });

  it('shows a viewer everything and no way to change it', async () => {
    const viewer = await f.client('a-viewer');
    await viewer.get('/attention');
    expect(viewer.html).toContain('A1A1A1A1');
    expect(viewer.html).not.toContain('action="/attention/bind"');
    const before = auditCount(f);
    const tried = await viewer.post('/attention/bind', {
      tech: 'mifare',
      card: 'A1A1A1A1',
      workerId: f.a.worker,
      back: '/attention',
    });
    expect(await viewer.follow(tried)).toContain('管理者の権限が必要です');
    expect(auditCount(f)).toBe(before);
    expect(await unknownCardIds(f, f.a.admin)).toContain('A1A1A1A1');
  });
});
