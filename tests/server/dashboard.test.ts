import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { auditCount, freshWebFixtures, unknownCardIds, type WebFixture } from '../support/web-client.js';

/**
 * The dashboard over HTTP, as a browser drives it: its pages in the user's language, and what
 * a contractor does to records before they go to CCUS (unknown cards, missed exits, held
 * records, manual entries, corrections, exports).
 */
describe('the contractor dashboard: records', () => {
  let f: WebFixture;
  freshWebFixtures('dashboard', (fixture) => {
    f = fixture;
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

  describe('actions on records', () => {
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
      expect(await unknownCardIds(f, f.a.admin)).not.toContain('A1A1A1A1');
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
      const before = auditCount(f);
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
      expect(auditCount(f)).toBe(before);

      await browser.get('/attention?lang=en');
      expect(await flash(`/workers/${f.a.worker}/cards`, { card: 'not hex' })).toMatch(
        /^Could not do that: Check the card ID\. \(details: .+\)$/,
      );
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
});
