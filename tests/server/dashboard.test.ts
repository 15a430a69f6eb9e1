import { type Health, parseTerminalId, type UpdateState } from '@ccus-gate/protocol';
import iconv from 'iconv-lite';
import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { onlineStatus } from '../support/terminal-status.js';
import { PASSWORD, WebClient, type WebFixture, webFixture } from '../support/web-client.js';

/**
 * The dashboard over HTTP, as a browser drives it: sign-in, sessions, CSRF, roles, each
 * page and action, and one tenant never seeing or changing another's pages.
 */
describe('the contractor dashboard', () => {
  const dir = tempDir('dashboard');
  let f: WebFixture;

  beforeEach(async () => {
    f = await webFixture(dir.path);
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  const auditCount = (): number =>
    (f.store.db.sql('SELECT count(*) AS n FROM audit_log').get() as { n: number } | undefined)?.n ?? 0;
  const unknownCardsOfA = async (): Promise<string[]> =>
    (
      (await (await f.call(f.a.admin, 'GET', '/api/v1/unknown-cards')).json()) as {
        unknownCards: { card: { id: string } }[];
      }
    ).unknownCards.map((u) => u.card.id);

  describe('signing in', () => {
    it('sends a visitor without a session to the sign-in page, and back to where they were going', async () => {
      const browser = new WebClient(f.web);
      const page = await browser.request('GET', '/records?site=20260000000001');
      expect(page.status).toBe(302);
      expect(page.headers.get('location')).toBe('/signin?next=%2Frecords%3Fsite%3D20260000000001');
      const form = await browser.get('/signin?next=%2Frecords%3Fsite%3D20260000000001');
      expect(form.status).toBe(200);
      const signedIn = await browser.request('POST', '/signin', {
        _csrf: browser.csrf(),
        login: 'a-admin',
        password: PASSWORD,
        next: '/records?site=20260000000001',
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.get('location')).toBe('/records?site=20260000000001');
    });

    it('sends a signed-in user on from the sign-in page', async () => {
      const browser = await f.client('a-admin');
      const again = await browser.request('GET', '/signin?next=%2Fworkers');
      expect(again.status).toBe(302);
      expect(again.headers.get('location')).toBe('/workers');
    });

    it('sets an HttpOnly, SameSite session cookie and keeps only its hash', async () => {
      const browser = new WebClient(f.web);
      const response = await browser.signIn('a-admin', PASSWORD);
      const cookie = response.headers.getSetCookie().find((line) => line.startsWith('ccg_session='));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\//);
      const token = browser.cookies.get('ccg_session') as string;
      const stored = f.store.db.sql('SELECT token_hash FROM web_sessions').all() as { token_hash: string }[];
      expect(stored).toHaveLength(1);
      expect(stored[0]?.token_hash).not.toContain(token);
      // Nor the CSRF token its forms carry: nothing in the table gives either away.
      await browser.get('/today');
      const csrf = browser.csrf();
      const everything = JSON.stringify(f.store.db.sql('SELECT * FROM web_sessions').all());
      expect(everything).not.toContain(csrf);
      expect(everything).not.toContain(token);
    });

    it('refuses a wrong password and an unknown login alike, without a session', async () => {
      for (const [login, password] of [
        ['a-admin', 'not the password'],
        ['nobody', PASSWORD],
      ]) {
        const browser = new WebClient(f.web);
        const response = await browser.signIn(login as string, password as string);
        expect(response.status).toBe(401);
        expect(await response.text()).toContain('ログインIDまたはパスワードが違います');
        expect(browser.cookies.has('ccg_session')).toBe(false);
      }
    });

    it('refuses a sign-in form posted without its token (login CSRF)', async () => {
      const browser = new WebClient(f.web);
      const response = await browser.request('POST', '/signin', { login: 'a-admin', password: PASSWORD });
      expect(response.status).toBe(403);
      expect(browser.cookies.has('ccg_session')).toBe(false);
    });

    it('turns an address away after ten failed sign-ins, even with the right password', async () => {
      const browser = new WebClient(f.web);
      for (let i = 0; i < 10; i++) expect((await browser.signIn('a-admin', 'wrong password')).status).toBe(401);
      const response = await browser.signIn('a-admin', PASSWORD);
      expect(response.status).toBe(429);
      expect(browser.cookies.has('ccg_session')).toBe(false);
    });

    it('lets a user change their own password: other sessions end, this one goes on, the old password is refused', async () => {
      const here = await f.client('a-viewer');
      const elsewhere = await f.client('a-viewer');
      await here.get('/password');
      expect(here.html).toContain('パスワードの変更');
      const wrong = await here.post('/password', {
        current: 'not it at all',
        password: 'a new password 1',
        confirm: 'a new password 1',
      });
      expect(await here.follow(wrong)).toContain('いまのパスワードが違います');
      const differ = await here.post('/password', {
        current: PASSWORD,
        password: 'a new password 1',
        confirm: 'a new password 2',
      });
      expect(await here.follow(differ)).toContain('一致しません');
      const changed = await here.post('/password', {
        current: PASSWORD,
        password: 'a new password 1',
        confirm: 'a new password 1',
      });
      expect(changed.headers.get('location')).toBe('/today');
      expect(await here.follow(changed)).toContain('パスワードを変更しました');
      // The other browser's session ended; this one was renewed.
      expect((await elsewhere.request('GET', '/today')).status).toBe(302);
      expect((await here.get('/workers')).status).toBe(200);
      expect((await new WebClient(f.web).signIn('a-viewer', PASSWORD)).status).toBe(401);
      expect((await new WebClient(f.web).signIn('a-viewer', 'a new password 1')).status).toBe(303);
      // No trace of either password in the audit trail or anywhere a page shows.
      expect(JSON.stringify(f.store.db.sql('SELECT * FROM audit_log').all())).not.toContain('a new password 1');
    });

    it('counts wrong current passwords like failed sign-ins', async () => {
      const browser = await f.client('a-admin');
      await browser.get('/password');
      for (let i = 0; i < 10; i++) {
        await browser.post('/password', {
          current: `guess ${i}`,
          password: 'a new password 1',
          confirm: 'a new password 1',
        });
      }
      const blocked = await browser.post('/password', {
        current: PASSWORD,
        password: 'a new password 1',
        confirm: 'a new password 1',
      });
      expect(await browser.follow(blocked)).toContain('ログインの失敗が続いたため');
      // The same budget as sign-ins: that login is turned away at this address for now.
      expect((await new WebClient(f.web).signIn('a-admin', PASSWORD)).status).toBe(429);
    });

    it("lets an admin reset another user's password, ending their sessions; a viewer cannot", async () => {
      const viewer = await f.client('a-viewer');
      const admin = await f.client('a-admin');
      await admin.get('/accounts');
      const userId = /action="\/accounts\/users\/(u_[A-Za-z0-9_-]{12})\/password"/.exec(admin.html)?.[1];
      expect(userId).toBeDefined();
      const reset = await admin.post(`/accounts/users/${userId}/password`, {
        login: 'a-viewer',
        password: 'handed over 2026',
        back: '/accounts',
      });
      expect(await admin.follow(reset)).toContain('a-viewer のパスワードを再設定しました');
      expect((await viewer.request('GET', '/today')).status).toBe(302);
      expect((await new WebClient(f.web).signIn('a-viewer', 'handed over 2026')).status).toBe(303);
      const byViewer = await f.call(f.a.viewer, 'PUT', `/api/v1/users/${userId}/password`, {
        password: 'taken over 2026',
      });
      expect(byViewer.status).toBe(403);
      const byOther = await f.call(f.b.admin, 'PUT', `/api/v1/users/${userId}/password`, {
        password: 'taken over 2026',
      });
      expect(byOther.status).toBe(404);
    });

    it('turns on two-factor sign-in with a code from an app, then asks for a code at every sign-in, never the same twice', async () => {
      const browser = await f.client('a-viewer');
      await browser.get('/two-factor');
      expect(browser.html).toContain('2段階認証は無効です');
      expect(browser.html).toContain('<svg');
      const secret = /data-testid="two-factor-key">([A-Z2-7]{32})</.exec(browser.html)?.[1] as string;
      const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
      const at = (offsetSteps: number) => totp.generate({ timestamp: f.now.value.getTime() + offsetSteps * 30_000 });
      const wrong = await browser.post('/two-factor', { secret, code: '000000' === at(0) ? '111111' : '000000' });
      expect(await browser.follow(wrong)).toContain('コードが違う');
      const on = await browser.post('/two-factor', { secret, code: at(0) });
      expect(await browser.follow(on)).toContain('2段階認証は有効です');

      const signIn = async (code?: string): Promise<Response> => {
        const fresh = new WebClient(f.web);
        await fresh.get('/signin');
        return fresh.request('POST', '/signin', {
          _csrf: fresh.csrf(),
          login: 'a-viewer',
          password: PASSWORD,
          next: '/today',
          ...(code === undefined ? {} : { code }),
        });
      };
      const noCode = await signIn();
      expect(noCode.status).toBe(401);
      expect(await noCode.text()).toContain('6桁のコードも入力してください');
      // The code used to turn it on is spent; the next step's code works once.
      expect((await signIn(at(0))).status).toBe(401);
      expect((await signIn(at(1))).status).toBe(303);
      expect((await signIn(at(1))).status).toBe(401);

      // An admin clears it (a lost phone): the password alone signs in again.
      const admin = await f.client('a-admin');
      await admin.get('/accounts');
      expect(admin.html).toContain('data-two-factor="on"');
      const userId = /action="\/accounts\/users\/(u_[A-Za-z0-9_-]{12})\/two-factor\/clear"/.exec(admin.html)?.[1];
      const cleared = await admin.post(`/accounts/users/${userId}/two-factor/clear`, {
        login: 'a-viewer',
        back: '/accounts',
      });
      expect(await admin.follow(cleared)).toContain('a-viewer の2段階認証を解除しました');
      expect((await signIn()).status).toBe(303);
      expect(JSON.stringify(f.store.db.sql('SELECT * FROM audit_log').all())).not.toContain(secret);
    });

    it('turns two-factor sign-in off only with the password', async () => {
      const browser = await f.client('a-admin');
      await browser.get('/two-factor');
      const secret = /data-testid="two-factor-key">([A-Z2-7]{32})</.exec(browser.html)?.[1] as string;
      const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: f.now.value.getTime() });
      await browser.follow(await browser.post('/two-factor', { secret, code }));
      const refused = await browser.post('/two-factor/off', { current: 'not the password' });
      expect(await browser.follow(refused)).toContain('2段階認証は有効です');
      const off = await browser.post('/two-factor/off', { current: PASSWORD });
      expect(await browser.follow(off)).toContain('2段階認証は無効です');
    });

    it('ends the session on sign-out, after twelve hours, and when the user is removed', async () => {
      const out = await f.client('a-admin');
      await out.get('/today');
      const cookie = out.cookies.get('ccg_session') as string;
      expect((await out.post('/signout', {})).headers.get('location')).toBe('/signin');
      const replay = new WebClient(f.web);
      replay.cookies.set('ccg_session', cookie);
      expect((await replay.request('GET', '/today')).status).toBe(302);

      const late = await f.client('a-admin');
      f.now.value = new Date(f.now.value.getTime() + 12 * 3600_000 + 1000);
      expect((await late.request('GET', '/today')).status).toBe(302);

      const removed = await f.client('a-viewer');
      const users = (await (await f.call(f.a.admin, 'GET', '/api/v1/users')).json()) as {
        users: { userId: string; login: string }[];
      };
      const viewer = users.users.find((u) => u.login === 'a-viewer');
      expect(JSON.stringify(users)).not.toContain('scrypt');
      expect((await f.call(f.a.admin, 'DELETE', `/api/v1/users/${viewer?.userId}`)).status).toBe(200);
      expect((await removed.request('GET', '/today')).status).toBe(302);
    });
  });

  describe('dashboard users over the API', () => {
    it('lets the operator and a tenant admin add users, and says what is wrong with a bad one', async () => {
      const created = await f.call(f.operator, 'POST', `/api/v1/tenants/${f.b.tenantId}/users`, {
        login: 'b-site-manager',
        name: '現場 所長',
        role: 'viewer',
        password: 'long enough password',
      });
      expect(created.status).toBe(201);
      expect(JSON.stringify(await created.json())).not.toContain('long enough password');
      expect((await new WebClient(f.web).signIn('b-site-manager', 'long enough password')).status).toBe(303);

      const short = await f.call(f.a.admin, 'POST', '/api/v1/users', {
        login: 'a-new',
        name: 'x',
        role: 'admin',
        password: 'short',
      });
      expect(short.status).toBe(400);
      expect(await short.json()).toMatchObject({ field: 'password' });
      const taken = await f.call(f.a.admin, 'POST', '/api/v1/users', {
        login: 'B-ADMIN',
        name: 'x',
        role: 'admin',
        password: 'long enough password',
      });
      expect(taken.status).toBe(409);
      expect(
        (
          await f.call(f.a.viewer, 'POST', '/api/v1/users', {
            login: 'a-viewer-2',
            name: 'x',
            role: 'admin',
            password: 'long enough password',
          })
        ).status,
      ).toBe(403);
    });
  });

  describe('pages', () => {
    it('shows every page in Japanese by default, with Japanese dates', async () => {
      const browser = await f.client('a-admin');
      for (const [path, title] of [
        ['/today', '今日の現場'],
        ['/terminals', '端末'],
        ['/records?month=2026-11', '就業履歴'],
        ['/attention', '要対応'],
        ['/workers', '技能者・名簿'],
        ['/exports', '出力'],
      ]) {
        const response = await browser.get(path as string);
        expect(response.status, path).toBe(200);
        expect(browser.html, path).toContain(`<h1>${title}`);
        expect(response.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      }
      await browser.get('/records?month=2026-11');
      expect(browser.html).toContain('11月20日(金)');
      expect(browser.html).toContain('2026年12月31日(木)');
      expect(browser.html).toContain('技能者 a');
    });

    it('follows the browser language, and a switch that is remembered', async () => {
      const english = await f.client('a-admin', { 'accept-language': 'en-GB,en;q=0.9' });
      await english.get('/records?month=2026-11');
      expect(english.html).toContain('<h1>Records');
      expect(english.html).toContain('<td>Fri 20 Nov</td>');
      expect(english.html).toContain('Thu, 31 Dec 2026');
      expect(english.html).toContain('<td>07:50</td>');
      await english.get('/today?lang=ja');
      expect(english.html).toContain('<h1>今日の現場');
      await english.get('/records');
      expect(english.html).toContain('<h1>就業履歴');
    });

    it("shows today's taps at the site: who is in, and the unknown card", async () => {
      f.tap(f.a.terminalId, [
        { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-24T07:58:00.000+09:00' },
        { card: f.a.unknownCard, workerId: null, direction: 'in', at: '2026-11-24T08:01:00.000+09:00' },
      ]);
      const browser = await f.client('a-admin');
      await browser.get('/today');
      expect(browser.html).toContain('2026年11月24日(火)');
      const present = /data-testid="present">(.*?)<\/ul>/s.exec(browser.html)?.[1] ?? '';
      expect(present).toContain('技能者 a');
      expect(present).toContain('7:58');
      expect(/data-testid="attention">(.*?)<\/ul>/s.exec(browser.html)?.[1]).toContain('A1A1A1A1');
    });
  });

  describe('actions', () => {
    it('binds an unknown card to a worker, resolving its taps, with the user in the audit trail', async () => {
      const browser = await f.client('a-admin');
      await browser.get('/attention');
      expect(browser.html).toContain('A1A1A1A1');
      const done = await browser.post('/attention/bind', {
        tech: 'mifare',
        card: 'A1A1A1A1',
        workerId: f.a.worker,
        reason: '新しいカード',
        back: '/attention',
      });
      expect(done.status).toBe(303);
      const page = await browser.follow(done);
      expect(page).toContain('カードを紐付けました。1件のタップを反映しました。');
      expect(await unknownCardsOfA()).not.toContain('A1A1A1A1');
      const audit = (await (await f.call(f.a.admin, 'GET', '/api/v1/audit')).json()) as {
        audit: { actor: string; action: string }[];
      };
      expect(audit.audit[0]).toMatchObject({ actor: 'A 管理者 (a-admin)', action: 'bind_card' });
    });

    it("fills a missed exit in the site's time", async () => {
      f.tap(f.a.terminalId, [
        { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-21T07:40:00.000+09:00' },
      ]);
      const browser = await f.client('a-admin');
      await browser.get('/attention');
      expect(/data-testid="missed-exits">(.*?)<\/section>/s.exec(browser.html)?.[1]).toContain('技能者 a');
      const done = await browser.post('/attention/exit', {
        site: f.a.siteId,
        workerId: f.a.worker,
        workingDay: '2026-11-21',
        time: '17:30',
        reason: '退場タップ忘れ',
        back: '/attention',
      });
      expect(await browser.follow(done)).toContain('退場時刻を記録しました');
      const record = (await (
        await f.call(f.a.admin, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-21`)
      ).json()) as { record: { lastOut: string; flags: string[] } };
      expect(Date.parse(record.record.lastOut)).toBe(Date.parse('2026-11-21T17:30:00+09:00'));
      expect(record.record.flags).not.toContain('no_exit');
    });

    it("fills a night shift's exit on the next morning, and shows what each flag means", async () => {
      f.tap(f.a.terminalId, [
        { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-21T21:30:00.000+09:00' },
      ]);
      const browser = await f.client('a-admin');
      await browser.get('/attention');
      const missed = /data-testid="missed-exits">(.*?)<\/section>/s.exec(browser.html)?.[1];
      expect(missed).toContain('退場未記録');
      expect(missed).toContain('夜勤は翌朝の時刻');
      const done = await browser.post('/attention/exit', {
        site: f.a.siteId,
        workerId: f.a.worker,
        workingDay: '2026-11-21',
        firstIn: '2026-11-21T21:30:00.000+09:00',
        time: '05:30',
        reason: '夜勤',
        back: '/attention',
      });
      expect(await browser.follow(done)).toContain('退場時刻を記録しました');
      const record = (await (
        await f.call(f.a.admin, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-21`)
      ).json()) as { record: { lastOut: string; flags: string[] } };
      expect(Date.parse(record.record.lastOut)).toBe(Date.parse('2026-11-22T05:30:00+09:00'));
    });

    it('shows a held record’s taps, voids one and sets the real time of a clock that was never set', async () => {
      f.tap(f.a.terminalId, [
        {
          card: f.a.card,
          workerId: f.a.worker,
          direction: 'in',
          at: '1970-01-01T00:05:00.000Z',
          clockSynced: false,
          mono: 300_000,
        },
        {
          card: f.a.card,
          workerId: f.a.worker,
          direction: 'out',
          at: '1970-01-01T00:06:00.000Z',
          clockSynced: false,
          mono: 360_000,
        },
        {
          card: f.a.card,
          workerId: f.a.worker,
          direction: 'out',
          at: '1970-01-01T09:05:00.000Z',
          clockSynced: false,
          mono: 32_700_000,
        },
      ]);
      const browser = await f.client('a-admin');
      await browser.get('/attention');
      const held = /data-record="11110000000001\/1970-01-01">(.*?)<\/section>/s.exec(browser.html)?.[1] ?? '';
      expect(held).toContain('ありえない時刻');
      const taps = [...held.matchAll(/data-tap="([^"]+)"/g)].map((m) => m[1] as string);
      expect(taps).toHaveLength(3);
      const [terminalId = '', seq = ''] = (taps[1] as string).split('/');
      const voided = await browser.post('/attention/void-tap', {
        terminalId,
        seq,
        reason: '押し間違い',
        back: '/attention',
      });
      expect(await browser.follow(voided)).toContain('タッチを取り消しました');
      const [firstTerminal = '', firstSeq = ''] = (taps[0] as string).split('/');
      const set = await browser.post('/attention/tap-time', {
        site: f.a.siteId,
        terminalId: firstTerminal,
        seq: firstSeq,
        day: '2026-11-23',
        time: '08:00',
        reason: '職長が確認',
        back: '/attention',
      });
      expect(await browser.follow(set)).toContain('同じ起動中のタッチも合わせて直しました');
      const record = (await (
        await f.call(f.a.admin, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-23`)
      ).json()) as { record: { firstIn: string; lastOut: string; tapCount: number; ccus: { state: string } } };
      expect(Date.parse(record.record.firstIn)).toBe(Date.parse('2026-11-23T08:00:00+09:00'));
      expect(Date.parse(record.record.lastOut)).toBe(Date.parse('2026-11-23T17:00:00+09:00'));
      expect(record.record.tapCount).toBe(2);
      // Every page still answers with the impossible day gone or fixed.
      for (const page of ['/attention', '/records', '/today'])
        expect((await browser.request('GET', page)).status).toBe(200);
    });

    it('puts in the entry a lone exit lacked, and the record goes', async () => {
      f.tap(f.a.terminalId, [
        { card: f.a.card, workerId: f.a.worker, direction: 'out', at: '2026-11-21T17:30:00.000+09:00' },
      ]);
      const browser = await f.client('a-admin');
      await browser.get('/attention');
      const held = /data-record="11110000000001\/2026-11-21">(.*?)<\/form>\s*<\/div>/s.exec(browser.html)?.[1] ?? '';
      expect(held).toContain('入場未記録');
      expect(held).toContain('name="entry"');
      const done = await browser.post('/attention/exit', {
        site: f.a.siteId,
        workerId: f.a.worker,
        workingDay: '2026-11-21',
        entry: '08:00',
        reason: 'カードを忘れた朝',
        back: '/attention',
      });
      await browser.follow(done);
      const record = (await (
        await f.call(f.a.admin, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-21`)
      ).json()) as { record: { firstIn: string; lastOut: string; flags: string[]; ccus: { state: string } } };
      expect(Date.parse(record.record.firstIn)).toBe(Date.parse('2026-11-21T08:00:00+09:00'));
      expect(record.record.lastOut).toBe('2026-11-21T17:30:00.000+09:00');
      expect(record.record.flags).toEqual(['manual']);
      expect(record.record.ccus.state).toBe('pending');
    });

    it('shows every page with records on impossible days, never a 500', async () => {
      f.tap(f.a.terminalId, [
        { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '9999-12-31T08:00:00.000+09:00' },
        {
          card: f.a.card,
          workerId: f.a.worker,
          direction: 'in',
          at: '1970-01-01T08:00:00.000+09:00',
          clockSynced: false,
          mono: 1,
        },
      ]);
      const browser = await f.client('a-admin');
      for (const page of ['/attention', '/records', '/records?month=9999-12', '/today', '/exports', '/workers']) {
        expect((await browser.request('GET', page)).status, page).toBe(200);
      }
      await browser.get('/attention');
      expect(browser.html).toContain('ありえない時刻');
    });

    it("takes a subcontractor's manual entry and lets the prime approve it", async () => {
      const sub = await f.client('sub-admin');
      await sub.get(`/attention?site=${f.a.siteId}`);
      const added = await sub.post('/attention/add-day', {
        site: f.a.siteId,
        workerId: f.sub.worker,
        workingDay: '2026-11-19',
        firstIn: '08:00',
        lastOut: '17:00',
        reason: 'カード忘れ',
        back: `/attention?site=${f.a.siteId}`,
      });
      expect(await sub.follow(added)).toContain('元請の承認待ちです');

      const prime = await f.client('a-admin');
      await prime.get('/attention');
      const id = /data-correction="(\d+)"/.exec(prime.html)?.[1];
      expect(id).toBeDefined();
      const approved = await prime.post(`/attention/corrections/${id}/approve`, { back: '/attention' });
      expect(await prime.follow(approved)).toContain('承認しました');
      const record = (await (
        await f.call(f.a.admin, 'GET', `/api/v1/records/${f.a.siteId}/${f.sub.worker}/2026-11-19`)
      ).json()) as { record: { flags: string[] } };
      expect(record.record.flags).toContain('manual');
    });

    it("says in the user's language what was refused and which field, and changes nothing", async () => {
      const browser = await f.client('a-admin');
      await browser.get('/attention');
      const before = auditCount();
      const flash = async (path: string, fields: Record<string, string>): Promise<string> => {
        const page = await browser.follow(await browser.post(path, { ...fields, back: '/attention' }));
        return /class="flash error"[^>]*>(.*?)<\/p>/s.exec(page)?.[1] ?? '';
      };
      // Refused by the dashboard before the API is asked.
      expect(
        await flash('/attention/add-day', {
          site: f.a.siteId,
          workerId: f.a.worker,
          workingDay: '2026-11-19',
          firstIn: '8時',
          reason: 'カード忘れ',
        }),
      ).toBe('できませんでした: 「入場時刻」は 17:30 のように時:分で入力してください。');
      // Refused by the API: the field in Japanese, then the API's own detail.
      expect(await flash(`/workers/${f.a.worker}/cards`, { card: 'not hex' })).toMatch(
        /^できませんでした: 「カード番号」を確認してください。（詳細: .+）$/,
      );
      expect(
        await flash('/attention/bind', { tech: 'mifare', card: 'A1A1A1A1', workerId: '11119999999999', reason: 'x' }),
      ).toMatch(/^できませんでした: 「技能者ID」が見つかりません。（詳細: no worker 11119999999999.*）$/);
      expect(auditCount()).toBe(before);

      await browser.get('/attention?lang=en');
      expect(await flash(`/workers/${f.a.worker}/cards`, { card: 'not hex' })).toMatch(
        /^Could not do that: Check the card ID\. \(details: .+\)$/,
      );
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
      expect(await browser.follow(asked)).toContain(
        `2分以内に端末 ${f.a.terminalId} で新しいカードをタッチしてください`,
      );
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

    it("corrects any record's times from the records page, as an audited correction", async () => {
      const admin = await f.client('a-admin');
      await admin.get(`/records?site=${f.a.siteId}&month=2026-11`);
      expect(admin.html).toContain(`data-correct="${f.a.worker}/2026-11-20"`);
      const corrected = await admin.post('/attention/exit', {
        site: f.a.siteId,
        workerId: f.a.worker,
        workingDay: '2026-11-20',
        entry: '07:30',
        time: '17:45',
        reason: 'タイムカードと照合',
        back: `/records?site=${f.a.siteId}&month=2026-11`,
      });
      expect(corrected.headers.get('location')).toBe(`/records?site=${f.a.siteId}&month=2026-11`);
      expect(await admin.follow(corrected)).toContain('退場時刻を記録しました');
      const record = (await (
        await f.call(f.a.viewer, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-20`)
      ).json()) as { record: { firstIn: string; lastOut: string; flags: string[] } };
      expect(Date.parse(record.record.firstIn)).toBe(Date.parse('2026-11-20T07:30:00+09:00'));
      expect(Date.parse(record.record.lastOut)).toBe(Date.parse('2026-11-20T17:45:00+09:00'));
      expect(record.record.flags).toContain('manual');
      const viewer = await f.client('a-viewer');
      await viewer.get(`/records?site=${f.a.siteId}&month=2026-11`);
      expect(viewer.html).not.toContain('data-correct=');
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
      const before = auditCount();
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
      expect(auditCount()).toBe(before);
    });

    it('refuses a change without the session’s CSRF token, and changes nothing', async () => {
      const a = await f.client('a-admin');
      const b = await f.client('b-admin');
      await a.get('/attention');
      await b.get('/attention');
      const before = auditCount();
      const fields = { tech: 'mifare', card: 'A1A1A1A1', workerId: f.a.worker, reason: 'x' };
      expect((await a.request('POST', '/attention/bind', fields)).status).toBe(403);
      expect((await a.request('POST', '/attention/bind', { ...fields, _csrf: b.csrf() })).status).toBe(403);
      expect(auditCount()).toBe(before);
      expect(await unknownCardsOfA()).toContain('A1A1A1A1');
    });

    it('shows a viewer everything and no way to change it', async () => {
      const viewer = await f.client('a-viewer');
      await viewer.get('/attention');
      expect(viewer.html).toContain('A1A1A1A1');
      expect(viewer.html).not.toContain('action="/attention/bind"');
      const before = auditCount();
      const tried = await viewer.post('/attention/bind', {
        tech: 'mifare',
        card: 'A1A1A1A1',
        workerId: f.a.worker,
        back: '/attention',
      });
      expect(await viewer.follow(tried)).toContain('管理者の権限が必要です');
      expect(auditCount()).toBe(before);
      expect(await unknownCardsOfA()).toContain('A1A1A1A1');
    });

    it("offers the month of the site's working day on the exports page, not the calendar's: after midnight, before the day boundary, last night's shift is still last month's", async () => {
      // 00:30 in Japan on 1 December: the site's day boundary is 04:00, so it is still 30 November there.
      f.now.value = new Date('2026-11-30T15:30:00Z');
      const browser = await f.client('a-admin');
      await browser.get('/exports');
      expect(browser.html).toContain('name="month" value="2026-11"');
      f.now.value = new Date('2026-11-30T19:30:00Z'); // 04:30 in Japan: the 1st's working day has begun
      await browser.get('/exports');
      expect(browser.html).toContain('name="month" value="2026-12"');
    });

    it('downloads both CSV encodings', async () => {
      const browser = await f.client('a-admin');
      const utf8 = await browser.request(
        'GET',
        `/exports/kentaikyo.csv?month=2026-11&site=${f.a.siteId}&encoding=utf-8`,
      );
      expect(utf8.headers.get('content-disposition')).toMatch(/attachment; filename="kentaikyo-.*-2026-11\.csv"/);
      expect(new TextDecoder().decode(await utf8.arrayBuffer())).toContain('技能者 a');
      const sjis = await browser.request(
        'GET',
        `/exports/kentaikyo.csv?month=2026-11&site=${f.a.siteId}&encoding=windows-31j`,
      );
      expect(sjis.headers.get('content-type')).toContain('Windows-31J');
      const bytes = Buffer.from(await sjis.arrayBuffer());
      expect(bytes.includes(iconv.encode('技能者 a', 'Shift_JIS'))).toBe(true);
      expect(bytes.includes(Buffer.from('技能者 a'))).toBe(false);
      const records = await browser.request('GET', `/exports/records.csv?month=2026-11&encoding=utf-8`);
      // Column names in the reader's language.
      const text = await records.text();
      expect(text).toContain('現場ID,技能者ID,氏名');
      expect(text).toContain(`${f.a.siteId},${f.a.worker},技能者 a,2026-11-20`);
    });
  });

  describe("one tenant never sees or changes another's pages", () => {
    it("answers B's requests for A's site as not found, and B's pages hold nothing of A", async () => {
      const b = await f.client('b-admin');
      for (const path of ['/today', '/records', '/attention', '/workers']) {
        expect((await b.get(`${path}?site=${f.a.siteId}`)).status, path).toBe(404);
        await b.get(path);
        expect(b.html, path).not.toContain('技能者 a');
        expect(b.html, path).not.toContain('A1A1A1A1');
      }
      await b.get('/terminals');
      expect(b.html).not.toContain('gate-a');
      expect(
        (await b.request('GET', `/exports/records.csv?month=2026-11&site=${f.a.siteId}&encoding=utf-8`)).status,
      ).toBe(404);
      expect((await b.request('GET', `/live?view=today&site=${f.a.siteId}`)).status).toBe(404);
    });

    it("changes nothing of A's when B posts A's ids", async () => {
      const b = await f.client('b-admin');
      await b.get('/attention');
      const before = auditCount();
      const attempts = [
        ['/attention/bind', { tech: 'mifare', card: 'A1A1A1A1', workerId: f.a.worker }],
        [`/terminals/${f.a.terminalId}/selftest`, {}],
        ['/roster/remove', { site: f.a.siteId, workerId: f.a.worker }],
        [`/workers/${f.a.worker}/remove`, {}],
        ['/records/retry', { site: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-20' }],
      ] as const;
      for (const [path, fields] of attempts) {
        const response = await b.post(path, { ...fields, back: '/attention' });
        expect(response.status, path).toBe(303);
        expect(await b.follow(response), path).toContain('できませんでした');
      }
      expect(auditCount()).toBe(before);
      expect(f.effects.commands).toEqual([]);
      expect(await unknownCardsOfA()).toContain('A1A1A1A1');
      const roster = (await (await f.call(f.a.admin, 'GET', `/api/v1/sites/${f.a.siteId}/roster`)).json()) as {
        roster: { workerId: string }[];
      };
      expect(roster.roster.map((r) => r.workerId)).toContain(f.a.worker);
    });

    it("tells a live page only of its own site's taps", async () => {
      const a = await f.client('a-admin');
      const response = await a.request('GET', `/live?view=today&site=${f.a.siteId}`);
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      const next = async (): Promise<string> => decoder.decode((await reader.read()).value);
      expect(await next()).toContain('data: hello');
      const batch = (terminalId: string) => ({
        terminalId: parseTerminalId(terminalId),
        result: { ack: {} as never, inserted: 1, records: [], enrolmentWaiting: false },
        ackMs: 1,
      });
      const pending = reader.read();
      f.events.emit('batch', batch(f.b.terminalId));
      const quiet = new Promise((resolve) => setTimeout(() => resolve('quiet'), 200));
      expect(await Promise.race([pending.then(() => "B's batch reached A"), quiet])).toBe('quiet');
      f.events.emit('batch', batch(f.a.terminalId));
      expect(decoder.decode((await pending).value)).toBe('event: change\ndata: \n\n');
      await reader.cancel();
    });
  });
});
