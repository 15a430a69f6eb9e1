import { GATE_LANGUAGES } from '@ccus-gate/protocol';
import { createSelfView, SELF_VIEW_MESSAGES, SignInLimiter } from '@ccus-gate/server';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/** A worker's own page by their personal link: their records at one contractor, and a missed day to report. */
describe('the worker self-view', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  let view: Hono;

  beforeEach(() => {
    dir = tempDir('self-view');
    f = apiFixture(dir.path);
    f.now.value = new Date('2026-11-25T12:00:00+09:00');
    view = createSelfView({
      stores: f.store,
      now: () => f.now.value,
      limiter: new SignInLimiter(),
      addressOf: () => '203.0.113.9',
    });
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  const issue = async (token = f.a.admin, workerId: string = f.a.worker): Promise<string> => {
    const issued = await f.call(token, 'POST', `/api/v1/workers/${workerId}/links`, { days: 30 });
    expect(issued.status).toBe(201);
    return ((await issued.json()) as { path: string }).path;
  };
  const open = (path: string, init?: RequestInit) => view.request(path.replace(/^\/w/, ''), init);
  const claim = (path: string, fields: Record<string, string>) =>
    open(`${path}/claim`, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it('has the same words in Japanese, English, Vietnamese and Indonesian, none empty', () => {
    const keys = Object.keys(SELF_VIEW_MESSAGES.ja).sort();
    for (const lang of GATE_LANGUAGES) {
      const t = SELF_VIEW_MESSAGES[lang];
      expect(Object.keys(t).sort(), lang).toEqual(keys);
      for (const value of Object.values(t)) {
        const text = typeof value === 'function' ? (value as (...a: string[]) => string)('1', '2') : value;
        expect(String(text).trim(), lang).not.toBe('');
      }
    }
  });

  it("shows the worker's own records at this contractor, in their language, and sends no referrer", async () => {
    f.tap(f.a.terminalId, [
      { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-24T08:00:00.000+09:00' },
      { card: f.a.card, workerId: f.a.worker, direction: 'out', at: '2026-11-24T17:30:00.000+09:00' },
    ]);
    // The same CCUS worker also works for B, at B's site: none of it shows on A's link.
    await f.call(f.b.admin, 'POST', '/api/v1/workers', { workerId: f.a.worker, name: 'B の 呼び名' });
    await f.call(f.b.admin, 'POST', `/api/v1/workers/${f.a.worker}/cards`, { card: '0B0B0B0B' });
    f.tap(f.b.terminalId, [
      {
        card: { tech: 'mifare', id: '0B0B0B0B' } as never,
        workerId: null,
        direction: 'in',
        at: '2026-11-19T08:00:00.000+09:00',
      },
    ]);
    const path = await issue();
    const page = await open(`${path}?lang=vi`);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Lịch sử làm việc');
    expect(html).toContain('技能者 a');
    expect(html).toContain('2026-11-24');
    expect(html).toContain('08:00');
    expect(html).toContain('17:30');
    // The fixture's day at A's site (2026-11-20) and this one; not B's.
    expect(html).toContain('Số ngày làm việc trong 25 tháng gần đây: 2');
    expect(html).not.toContain('2026-11-19');
    // Level progress by these days, a lower bound, in the worker's language.
    expect(html).toContain('とび: cấp 1 theo số ngày · Cấp 2: còn 643 ngày');
    expect(html).toContain('CCUS còn tính ngày ghi ở nơi khác');
    expect(html).not.toContain('現場 b');
  });

  it('files a missed day that waits for the prime contractor, who approves it into a record', async () => {
    const path = await issue();
    const sent = await claim(path, {
      site: f.a.siteId,
      day: '2026-11-21',
      entry: '08:00',
      exit: '17:00',
      note: 'カード忘れ',
      lang: 'id',
    });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toContain('lang=id');
    const after = await (await open(`${path}?lang=id&sent=1`)).text();
    expect(after).toContain('Terkirim. Menunggu persetujuan.');
    expect(after).toContain('Menunggu');
    const waiting = (await (await f.call(f.a.admin, 'GET', '/api/v1/corrections?state=awaiting_approval')).json()) as {
      corrections: { id: number; actor: string; workingDay: string }[];
    };
    const mine = waiting.corrections.find((c) => c.actor === `worker ${f.a.worker} (own claim)`);
    expect(mine).toMatchObject({ workingDay: '2026-11-21' });
    // Nothing is recorded on the worker's word alone.
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-21' }),
    ).toBeNull();
    const approved = await f.call(f.a.admin, 'POST', `/api/v1/corrections/${mine?.id}/approve`, { reason: 'ok' });
    expect(approved.status).toBe(200);
    f.store.records.rebuildQueued(100);
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-21' }),
    ).toMatchObject({ firstIn: '2026-11-21T08:00:00+09:00', lastOut: '2026-11-21T17:00:00+09:00' });
    expect(await (await open(`${path}?lang=en`)).text()).toContain('Approved');
  });

  it("lets the worker's employer decide a claim at another's site, and no tenant pass its own entry off as one", async () => {
    // The subcontractor's worker, at the prime's site, through the subcontractor's link.
    const path = await issue(f.sub.admin, f.sub.worker);
    expect((await claim(path, { site: f.a.siteId, day: '2026-11-22', entry: '08:00', exit: '17:00' })).status).toBe(
      303,
    );
    const pending = (await (
      await f.call(f.sub.admin, 'GET', '/api/v1/corrections?state=awaiting_approval')
    ).json()) as {
      corrections: { id: number; workerId: string }[];
    };
    const claimed = pending.corrections.find((c) => c.workerId === f.sub.worker);
    expect(
      (await f.call(f.sub.admin, 'POST', `/api/v1/corrections/${claimed?.id}/approve`, { reason: 'ok' })).status,
    ).toBe(200);
    f.store.records.rebuildQueued(100);
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.sub.worker, workingDay: '2026-11-22' }),
    ).not.toBeNull();
    // A token named like a worker's claim changes nothing: the subcontractor's own entry still waits for the prime.
    const minted = await f.call(f.sub.admin, 'POST', '/api/v1/tokens', {
      role: 'admin',
      label: `worker ${f.sub.worker} (own claim)`,
    });
    const forged = ((await minted.json()) as { token: string }).token;
    const entry = await f.call(forged, 'POST', '/api/v1/corrections', {
      kind: 'add_day',
      siteId: f.a.siteId,
      workerId: f.sub.worker,
      workingDay: '2026-11-23',
      firstIn: '2026-11-23T08:00:00+09:00',
      reason: 'forged',
    });
    const entryId = ((await entry.json()) as { correction: { id: number; state: string } }).correction;
    expect(entryId.state).toBe('awaiting_approval');
    expect(
      (await f.call(f.sub.admin, 'POST', `/api/v1/corrections/${entryId.id}/approve`, { reason: 'x' })).status,
    ).toBe(403);
  });

  it('refuses a day past the CCUS deadline, a bad time and another site, saying which, and files nothing', async () => {
    const path = await issue();
    const late = await claim(path, { site: f.a.siteId, day: '2026-09-10', entry: '08:00', lang: 'en' });
    expect(late.status).toBe(422);
    expect(await late.text()).toContain('Could not report it');
    const badTime = await claim(path, { site: f.a.siteId, day: '2026-11-21', entry: '8時', lang: 'en' });
    expect(badTime.status).toBe(422);
    expect(await badTime.text()).toContain('Enter times like 17:30.');
    const elsewhere = await claim(path, { site: f.b.siteId, day: '2026-11-21', entry: '08:00', lang: 'en' });
    expect(elsewhere.status).toBe(422);
    const waiting = (await (await f.call(f.a.admin, 'GET', '/api/v1/corrections?state=awaiting_approval')).json()) as {
      corrections: unknown[];
    };
    expect(waiting.corrections).toEqual([]);
  });

  it("is issued by an admin for the tenant's own worker only, and opens nothing once revoked", async () => {
    expect((await f.call(f.a.viewer, 'POST', `/api/v1/workers/${f.a.worker}/links`, {})).status).toBe(403);
    expect((await f.call(f.a.admin, 'POST', `/api/v1/workers/${f.b.worker}/links`, {})).status).toBe(404);
    const path = await issue();
    expect((await open(path)).status).toBe(200);
    const links = (await (await f.call(f.a.admin, 'GET', `/api/v1/workers/${f.a.worker}/links`)).json()) as {
      links: { id: number; lastUsedAt: string | null }[];
    };
    expect(links.links[0]?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(links)).not.toContain(path.slice(3));
    expect((await f.call(f.b.admin, 'DELETE', `/api/v1/worker-links/${links.links[0]?.id}`)).status).toBe(404);
    expect((await f.call(f.a.admin, 'DELETE', `/api/v1/worker-links/${links.links[0]?.id}`)).status).toBe(200);
    const revoked = await open(path);
    expect(revoked.status).toBe(404);
    expect(await revoked.text()).toContain('このリンクは使えません');
  });

  it('expires, and holds off an address that keeps trying links that open nothing', async () => {
    const path = await issue();
    f.now.value = new Date('2026-12-26T12:00:00+09:00');
    expect((await open(path)).status).toBe(404);
    const answers: number[] = [];
    for (let i = 0; i < 25; i++) answers.push((await open(`/w/${'x'.repeat(32)}${i}`)).status);
    expect(answers.slice(0, 5)).toEqual([404, 404, 404, 404, 404]);
    expect(answers.at(-1)).toBe(429);
  });
});
