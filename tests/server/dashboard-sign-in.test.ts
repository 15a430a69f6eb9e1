import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { freshWebFixtures, PASSWORD, WebClient, type WebFixture } from '../support/web-client.js';

/**
 * The dashboard over HTTP, as a browser drives it: sign-in, sessions, passwords, two-factor
 * sign-in, and the dashboard's users over the API.
 */
describe('dashboard sign-in and users', () => {
  let f: WebFixture;
  freshWebFixtures('dashboard-sign-in', (fixture) => {
    f = fixture;
  });

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
});
