import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { freshWebFixtures, type WebClient, type WebFixture } from '../support/web-client.js';

interface Preview {
  preview: { create: number; update: number; unchanged: number };
  errors: { row: number; field: string; message: string }[];
  errorCount: number;
}

/** Workers from a contractor's list: previewed row by row, then written all at once. */
describe('importing workers', () => {
  let f: WebFixture;
  freshWebFixtures('worker-import', (fixture) => {
    f = fixture;
  });

  const importing = (workers: unknown[], apply = false) =>
    f.call(f.a.admin, 'POST', '/api/v1/workers/import', { workers, apply });
  const workerIdsOfA = async (): Promise<string[]> =>
    ((await (await f.call(f.a.viewer, 'GET', '/api/v1/workers')).json()) as { workers: { workerId: string }[] }).workers
      .map((w) => w.workerId)
      .sort();

  it('says what would change, naming each bad row, and writes nothing until applied, all or nothing', async () => {
    const before = await workerIdsOfA();
    const rows = [
      { workerId: '40000000000001', name: '新人 一郎', trades: ['とび'] },
      { workerId: f.a.worker, name: '技能者 a 改', trades: ['とび', '土工'] },
      { workerId: '123', name: '短い' },
      { workerId: '40000000000002', name: '' },
      { workerId: '40000000000001', name: '二度目' },
      { workerId: '40000000000003', name: '職人', trades: ['a', 'b', 'c', 'd', 'e'] },
    ];
    const preview = (await (await importing(rows)).json()) as Preview;
    expect(preview.preview).toEqual({ create: 1, update: 1, unchanged: 0 });
    expect(preview.errors.map((e) => [e.row, e.field])).toEqual([
      [3, 'workerId'],
      [4, 'name'],
      [5, 'workerId'],
      [6, 'trades'],
    ]);
    expect(await workerIdsOfA()).toEqual(before);

    const refused = await importing(rows, true);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { detail: string }).detail).toContain(
      '4 row(s) have problems, nothing was written',
    );
    expect(await workerIdsOfA()).toEqual(before);

    const applied = await importing(rows.slice(0, 2), true);
    expect(await applied.json()).toEqual({ applied: { create: 1, update: 1, unchanged: 0 } });
    expect(await workerIdsOfA()).toEqual([...before, '40000000000001'].sort());
    const changed = (await (await f.call(f.a.viewer, 'GET', `/api/v1/workers/${f.a.worker}`)).json()) as {
      worker: { name: string; trades: string[] };
    };
    expect(changed.worker).toMatchObject({ name: '技能者 a 改', trades: ['とび', '土工'] });
    // Again: nothing to do.
    expect(((await (await importing(rows.slice(0, 2))).json()) as Preview).preview).toEqual({
      create: 0,
      update: 0,
      unchanged: 2,
    });
    expect((await f.call(f.a.viewer, 'POST', '/api/v1/workers/import', { workers: [], apply: true })).status).toBe(403);
  });

  it('keeps each tenant to its own books: a worker another tenant has is new here, and theirs is untouched', async () => {
    const applied = await importing([{ workerId: f.b.worker, name: 'うちの名前' }], true);
    expect(await applied.json()).toEqual({ applied: { create: 1, update: 0, unchanged: 0 } });
    const theirs = (await (await f.call(f.b.viewer, 'GET', `/api/v1/workers/${f.b.worker}`)).json()) as {
      worker: { name: string };
    };
    expect(theirs.worker.name).not.toBe('うちの名前');
  });

  /** Posts a file the way a browser's upload form does. */
  const upload = async (client: WebClient, bytes: Buffer): Promise<Response> => {
    await client.get('/workers');
    const body = new FormData();
    body.set('_csrf', client.csrf());
    body.set('file', new File([bytes], 'workers.csv', { type: 'text/csv' }));
    const response = await f.web.request('http://dashboard.test/workers/import', {
      method: 'POST',
      headers: { cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      body,
    });
    client.html = await response.clone().text();
    // What a browser keeps: the one-time message for the next page.
    for (const line of response.headers.getSetCookie()) {
      const [name = '', value = ''] = (line.split(';')[0] ?? '').split('=');
      client.cookies.set(name.trim(), value);
    }
    return response;
  };

  it('reads a Shift_JIS list from a spreadsheet, shows it before saving, and saves it when confirmed', async () => {
    const admin = await f.client('a-admin');
    const csv = iconv.encode(
      '技能者ID,氏名,職種,生年月日\r\n40000000000011,髙橋 一郎,とび、土工,1980-01-01\r\n40000000000012,佐藤 花子,型枠,1990-02-02\r\n',
      'windows-31j',
    );
    const preview = await upload(admin, csv);
    expect(preview.status).toBe(200);
    expect(admin.html).toContain('新規 2人、変更 0人、変更なし 0人');
    expect(admin.html).toContain('使わない列: 生年月日');
    expect(admin.html).toContain('髙橋 一郎 とび、土工');
    expect(await workerIdsOfA()).not.toContain('40000000000011');
    const rows = /name="rows" value="([^"]*)"/.exec(admin.html)?.[1] ?? '';
    const saved = await admin.request('POST', '/workers/import/confirm', {
      _csrf: admin.csrf(),
      rows: rows.replaceAll('&quot;', '"'),
    });
    expect(await admin.follow(saved)).toContain('2人を登録し、0人を変更しました');
    expect(await workerIdsOfA()).toEqual(expect.arrayContaining(['40000000000011', '40000000000012']));
  });

  it('shows the bad lines of a file by their line number, with nothing to confirm', async () => {
    const admin = await f.client('a-admin');
    await upload(admin, Buffer.from('workerId,name\n40000000000021,良い人\n4000,短い番号\n'));
    expect(admin.html).toContain('1行に問題があります');
    expect(admin.html).toMatch(/<td>3<\/td><td><code>workerId<\/code><\/td>/);
    expect(admin.html).not.toContain('/workers/import/confirm');
    const missing = await upload(admin, Buffer.from('番号,名前\n1,2\n'));
    expect(missing.status).toBe(303);
    expect(await admin.follow(missing)).toContain('技能者ID (workerId)');
  });
});
