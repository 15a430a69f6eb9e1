import { type EngineKind, rows, type StoreEngine } from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixtureOn } from '../support/api-fixture.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tempDir } from '../support/temp-dir.js';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
}

async function problemOf(response: Response): Promise<ProblemBody> {
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return (await response.json()) as ProblemBody;
}

describe.each(ENGINES)('HTTP API, on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture<StoreEngine>;
  const json = async <T>(response: Response, status = 200): Promise<T> => {
    const text = await response.text();
    expect({ status: response.status, text: response.status === status ? '' : text }).toEqual({ status, text: '' });
    return JSON.parse(text) as T;
  };

  beforeEach(async () => {
    dir = tempDir('api');
    f = await apiFixtureOn(kind, dir.path, kind === 'postgres' ? { postgresUrl: await engines.postgresUrl() } : {});
  });

  afterEach(async () => {
    await f.close();
    dir.remove();
  });
  afterAll(() => engines.close());

  describe('the contract', () => {
    it('serves its OpenAPI document without a token, with the bearer scheme and every route', async () => {
      const response = await f.app.request('/api/openapi.json');
      const doc = await json<{
        openapi: string;
        paths: Record<string, unknown>;
        components: { securitySchemes: object };
      }>(response);
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.components.securitySchemes).toHaveProperty('bearer');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/records', '/api/v1/corrections/{id}/approve', '/api/v1/exports/kentaikyo']),
      );
    });

    it('answers every refusal as problem+json naming the field', async () => {
      const badId = await problemOf(await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: 'abc', name: 'x' }));
      expect(badId).toMatchObject({ status: 400, field: 'workerId' });
      expect(badId.detail).toMatch(/workerId.*14-digit CCUS worker ID/);
      // "123" looks like an ID and is not one CCUS gives: refused, not saved.
      const short = await problemOf(await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: '123', name: 'x' }));
      expect(short).toMatchObject({ status: 400, field: 'workerId' });
      expect((await f.call(f.a.admin, 'GET', '/api/v1/workers/123')).status).toBe(404);

      const unknownField = await problemOf(
        await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: '10000000000001', name: 'x', nmae: 'typo' }),
      );
      expect(unknownField.detail).toContain('nmae');

      const notJson = await problemOf(await f.call(f.a.admin, 'POST', '/api/v1/workers', '{"workerId": '));
      expect(notJson).toMatchObject({ status: 400, detail: 'the body is not valid JSON' });

      const badLimit = await problemOf(await f.call(f.a.admin, 'GET', '/api/v1/records?limit=5000'));
      expect(badLimit).toMatchObject({ status: 400, field: 'limit' });
      const badMonth = await problemOf(await f.call(f.a.admin, 'GET', '/api/v1/records?month=2026-13'));
      expect(badMonth).toMatchObject({ status: 400, field: 'month' });

      const missing = await problemOf(await f.call(f.a.admin, 'GET', '/api/v1/workers/99999'));
      expect(missing).toMatchObject({ status: 404, field: 'workerId' });
      const noRoute = await problemOf(await f.call(f.a.admin, 'GET', '/api/v1/nothing'));
      expect(noRoute.status).toBe(404);
    });

    it('limits body size, and refuses without changing anything', async () => {
      const big = { workerId: '12345000000000', name: 'x'.repeat(70 * 1024) };
      const response = await f.call(f.a.admin, 'POST', '/api/v1/workers', big);
      expect((await problemOf(response)).status).toBe(413);
      expect((await f.call(f.a.admin, 'GET', '/api/v1/workers/12345000000000')).status).toBe(404);
    });

    it('sends security headers', async () => {
      const response = await f.call(f.a.viewer, 'GET', '/api/v1/sites');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    });

    it('lets a viewer read and not change; no token or a bad one is refused; many bad ones slow the address down', async () => {
      expect((await f.call(f.a.viewer, 'GET', '/api/v1/records')).status).toBe(200);
      const write = await problemOf(
        await f.call(f.a.viewer, 'POST', '/api/v1/workers', { workerId: '50000000000005', name: 'x' }),
      );
      expect(write).toMatchObject({ status: 403 });
      expect(write.detail).toContain('admin');
      expect((await f.app.request('/api/v1/records')).status).toBe(401);
      for (let i = 0; i < 20; i++) expect((await f.call('ccg_wrong', 'GET', '/api/v1/records')).status).toBe(401);
      const locked = await f.call('ccg_wrong', 'GET', '/api/v1/records');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      // A right token is not refused for the wrong ones (security/sign-in-limits.test.ts).
      expect((await f.call(f.a.viewer, 'GET', '/api/v1/records')).status).toBe(200);
    });
  });

  describe('tokens', () => {
    it("lists a tenant's tokens without their secrets and revokes one at once", async () => {
      const listed = await json<{ tokens: { id: string; role: string; label: string }[] }>(
        await f.call(f.a.admin, 'GET', '/api/v1/tokens'),
      );
      expect(listed.tokens.map((t) => t.label)).toEqual(['a admin', 'a viewer']);
      expect(JSON.stringify(listed)).not.toContain(f.a.viewer);
      const viewer = listed.tokens.find((t) => t.role === 'viewer') as { id: string };
      expect((await f.call(f.a.viewer, 'GET', '/api/v1/records')).status).toBe(200);
      await json(await f.call(f.a.admin, 'DELETE', `/api/v1/tokens/${viewer.id}`));
      expect((await f.call(f.a.viewer, 'GET', '/api/v1/records')).status).toBe(401);
      expect(await problemOf(await f.call(f.a.admin, 'DELETE', `/api/v1/tokens/${viewer.id}`))).toMatchObject({
        status: 404,
      });
      const operatorView = await json<{ tokens: unknown[] }>(
        await f.call(f.operator, 'GET', `/api/v1/tenants/${f.a.tenantId}/tokens`),
      );
      expect(operatorView.tokens).toHaveLength(1);
    });
  });

  describe('workers, cards and rosters', () => {
    it('registers a worker with employer, trade and position, puts them on the roster, and tells the terminals', async () => {
      const created = await json<{ worker: { workerId: string; employerCompanyId: string } }>(
        await f.call(f.a.admin, 'POST', '/api/v1/workers', {
          workerId: '44440000000004',
          name: '新人 太郎',
          trade: 'とび',
          position: 'leader',
        }),
        201,
      );
      expect(created.worker).toMatchObject({ workerId: '44440000000004', employerCompanyId: f.a.companyId });
      await json(
        await f.call(f.a.admin, 'PUT', `/api/v1/sites/${f.a.siteId}/roster/44440000000004`, { workContent: '足場' }),
      );
      expect(f.effects.rosters).toContain(f.a.siteId);
      const roster = await json<{ roster: { workerId: string; name: string; workContent: string | null }[] }>(
        await f.call(f.a.viewer, 'GET', `/api/v1/sites/${f.a.siteId}/roster`),
      );
      expect(roster.roster).toContainEqual(
        expect.objectContaining({ workerId: '44440000000004', name: '新人 太郎', workContent: '足場' }),
      );
      // The terminal's roster holds card and worker IDs only.
      expect(JSON.stringify(await f.store.directory.rosterFor(f.a.siteId))).not.toContain('新人');
    });

    it("binds an unknown card to a worker: its taps become the worker's, the record is rebuilt and audited", async () => {
      const unknown = await json<{ unknownCards: { card: { id: string }; taps: number }[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/unknown-cards'),
      );
      expect(unknown.unknownCards).toEqual([expect.objectContaining({ card: f.a.unknownCard, taps: 1 })]);
      const bound = await json<{ resolvedTaps: number }>(
        await f.call(f.a.admin, 'POST', `/api/v1/workers/${f.a.worker}/cards`, {
          card: f.a.unknownCard.id.toLowerCase().match(/../g)?.join(':'),
          reason: 'spare card, forgotten at home',
        }),
        201,
      );
      expect(bound.resolvedTaps).toBe(1);
      expect(f.effects.rosters).toContain(f.a.siteId);
      const record = await json<{ record: { tapCount: number; flags: string[]; firstIn: string } }>(
        await f.call(f.a.viewer, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/2026-11-20`),
      );
      expect(record.record).toMatchObject({ tapCount: 3, firstIn: '2026-11-20T07:50:00.000+09:00' });
      expect(record.record.flags).toContain('unknown_card');
      const after = await json<{ unknownCards: unknown[] }>(await f.call(f.a.viewer, 'GET', '/api/v1/unknown-cards'));
      expect(after.unknownCards).toEqual([]);
      const audit = await json<{ audit: { action: string; actor: string; reason: string }[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/audit'),
      );
      expect(audit.audit[0]).toMatchObject({
        action: 'bind_card',
        actor: 'a admin',
        reason: 'spare card, forgotten at home',
      });
    });

    it("refuses a card that belongs to another of the tenant's workers, and tells nothing of another tenant's", async () => {
      await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: '11110000000099', name: '二人目' });
      const taken = await f.call(f.a.admin, 'POST', '/api/v1/workers/11110000000099/cards', { card: f.a.card.id });
      expect(await problemOf(taken)).toMatchObject({ status: 409, field: 'card' });
      // The subcontractor's card is the subcontractor's binding: A may bind its own, and learns nothing.
      const own = await f.call(f.a.admin, 'POST', '/api/v1/workers/11110000000099/cards', { card: f.sub.card.id });
      expect(own.status).toBe(201);
      expect(await own.text()).not.toContain(f.sub.worker);
    });
  });

  describe('corrections and approvals', () => {
    const subEntry = (f: ApiFixture<StoreEngine>, day = '2026-11-21') => ({
      kind: 'add_day',
      siteId: f.a.siteId,
      workerId: f.sub.worker,
      workingDay: day,
      firstIn: `${day}T08:00:00+09:00`,
      lastOut: `${day}T17:00:00+09:00`,
      reason: 'card left in the van',
    });

    it("holds a subcontractor's manual entry until the prime approves it, then builds a manual record", async () => {
      const proposed = await json<{ correction: { id: number; state: string } }>(
        await f.call(f.sub.admin, 'POST', '/api/v1/corrections', subEntry(f)),
        201,
      );
      expect(proposed.correction.state).toBe('awaiting_approval');
      const key = `${f.a.siteId}/${f.sub.worker}/2026-11-21`;
      expect((await f.call(f.a.viewer, 'GET', `/api/v1/records/${key}`)).status).toBe(404);
      const approvals = await json<{ approvals: { id: number }[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/approvals'),
      );
      expect(approvals.approvals.map((c) => c.id)).toEqual([proposed.correction.id]);

      const approved = await json<{ correction: { state: string; decidedBy: string } }>(
        await f.call(f.a.admin, 'POST', `/api/v1/corrections/${proposed.correction.id}/approve`, {
          reason: 'foreman confirms',
        }),
      );
      expect(approved.correction).toMatchObject({ state: 'applied', decidedBy: 'a admin' });
      const record = await json<{ record: { flags: string[]; firstIn: string; ccus: { state: string } } }>(
        await f.call(f.sub.admin, 'GET', `/api/v1/records/${key}`),
      );
      expect(record.record).toMatchObject({ firstIn: '2026-11-21T08:00:00+09:00', ccus: { state: 'pending' } });
      expect(record.record.flags).toEqual(['manual']);
      const again = await f.call(f.a.admin, 'POST', `/api/v1/corrections/${proposed.correction.id}/approve`, {});
      expect(await problemOf(again)).toMatchObject({ status: 409 });
      const audit = await json<{ audit: { action: string; before: unknown; after: unknown }[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/audit'),
      );
      expect(audit.audit[0]).toMatchObject({ action: 'approve', before: 'awaiting_approval', after: 'applied' });
    });

    it('a rejected entry builds nothing and keeps the reason', async () => {
      const proposed = await json<{ correction: { id: number } }>(
        await f.call(f.sub.admin, 'POST', '/api/v1/corrections', subEntry(f, '2026-11-22')),
        201,
      );
      const rejected = await json<{ correction: { state: string; decisionReason: string } }>(
        await f.call(f.a.admin, 'POST', `/api/v1/corrections/${proposed.correction.id}/reject`, {
          reason: 'not on site that day',
        }),
      );
      expect(rejected.correction).toMatchObject({ state: 'rejected', decisionReason: 'not on site that day' });
      expect((await f.call(f.a.viewer, 'GET', `/api/v1/records/${f.a.siteId}/${f.sub.worker}/2026-11-22`)).status).toBe(
        404,
      );
    });

    it("applies the prime's own fix of a missed exit at once, keeping before and after", async () => {
      const key = { siteId: f.a.siteId, workerId: f.sub.worker, workingDay: '2026-11-20' };
      const fixed = await json<{ correction: { state: string; before: unknown; after: unknown } }>(
        await f.call(f.a.admin, 'POST', '/api/v1/corrections', {
          kind: 'set_times',
          ...key,
          lastOut: '2026-11-20T17:30:00+09:00',
          reason: 'left by the back gate',
        }),
        201,
      );
      expect(fixed.correction).toMatchObject({
        state: 'applied',
        before: { firstIn: '2026-11-20T08:00:00.000+09:00', lastOut: null },
        after: { firstIn: '2026-11-20T08:00:00.000+09:00', lastOut: '2026-11-20T17:30:00+09:00' },
      });
      const record = await f.store.queries.recordByKey(key);
      expect(record?.flags).toEqual(['manual']);
      expect(record?.lastOut).toBe('2026-11-20T17:30:00+09:00');
    });

    it("refuses times outside the working day, exits before entries, and days past CCUS's deadline", async () => {
      const base = {
        kind: 'set_times',
        siteId: f.a.siteId,
        workerId: f.a.worker,
        workingDay: '2026-11-20',
        reason: 'x',
      };
      const otherDay = await f.call(f.a.admin, 'POST', '/api/v1/corrections', {
        ...base,
        lastOut: '2026-11-21T05:00:00+09:00',
      });
      expect(await problemOf(otherDay)).toMatchObject({ status: 400, field: 'lastOut' });
      const backwards = await f.call(f.a.admin, 'POST', '/api/v1/corrections', {
        ...base,
        lastOut: '2026-11-20T07:00:00+09:00',
      });
      expect(await problemOf(backwards)).toMatchObject({ status: 400, field: 'lastOut' });
      const late = await f.call(f.a.admin, 'POST', '/api/v1/corrections', {
        ...base,
        kind: 'add_day',
        workingDay: '2026-09-30',
        firstIn: '2026-09-30T08:00:00+09:00',
      });
      const closed = await problemOf(late);
      expect(closed).toMatchObject({ status: 400, field: 'workingDay' });
      expect(closed.detail).toContain('until 2026-10-31');
    });
  });

  describe('records and the CCUS outbox', () => {
    it('lists records at risk of the deadline, soonest first, and sends a refused one again on request', async () => {
      f.now.value = new Date('2026-12-27T00:00:00Z');
      const risk = await json<{ records: { workerId: string; deadline: string }[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/records/at-risk?withinDays=7'),
      );
      expect(risk.records.map((r) => r.deadline)).toEqual(['2026-12-31', '2026-12-31']);
      const none = await json<{ records: unknown[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/records/at-risk?withinDays=2'),
      );
      expect(none.records).toEqual([]);

      const key = { siteId: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-20' };
      // As the forwarder does: claimed for sending, then refused by CCUS.
      expect((await f.store.outbox.claimDue(100, 'test', 60_000)).map((item) => item.workingDay)).toContain(
        key.workingDay,
      );
      await f.store.outbox.markRefused(key, 'not_on_roster: the worker is not on the CCUS site roster', 'test');
      const refused = await json<{ records: { ccus: { state: string; lastError: string } }[] }>(
        await f.call(f.a.viewer, 'GET', '/api/v1/outbox?state=refused'),
      );
      expect(refused.records[0]?.ccus).toMatchObject({
        state: 'refused',
        lastError: expect.stringContaining('roster'),
      });
      const retried = await json<{ record: { ccus: { state: string } } }>(
        await f.call(f.a.admin, 'POST', `/api/v1/records/${key.siteId}/${key.workerId}/${key.workingDay}/retry`),
      );
      expect(retried.record.ccus.state).toBe('pending');
      expect(
        (await f.call(f.a.admin, 'POST', `/api/v1/records/${key.siteId}/${key.workerId}/${key.workingDay}/retry`))
          .status,
      ).toBe(409);
    });
  });

  describe('exports', () => {
    it('writes the 建退共 monthly calendar in UTF-8 with a BOM and in Windows-31J, the same text', async () => {
      const utf8 = await f.call(f.a.viewer, 'GET', '/api/v1/exports/kentaikyo?month=2026-11');
      expect(utf8.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(utf8.headers.get('content-disposition')).toContain(`kentaikyo-${f.a.companyId}-2026-11.csv`);
      const bytes = new Uint8Array(await utf8.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = new TextDecoder('utf-8').decode(bytes.slice(3));
      const lines = text.split('\r\n');
      const days = Array.from({ length: 30 }, (_, i) => String(i + 1));
      expect(lines[0]).toBe(['事業者ID', '対象年月', '技能者ID', '氏名', '職種', ...days, '就労日数'].join(','));
      // Only the company's own employees: the subcontractor's worker is on its own calendar.
      expect(lines.slice(1, -1)).toEqual([
        [
          f.a.companyId,
          '2026-11',
          f.a.worker,
          '技能者 a',
          'とび',
          ...days.map((d) => (d === '20' ? '1' : '')),
          '1',
        ].join(','),
      ]);
      expect(lines.at(-1)).toBe('');

      const sjis = await f.call(f.a.viewer, 'GET', '/api/v1/exports/kentaikyo?month=2026-11&encoding=windows-31j');
      expect(sjis.headers.get('content-type')).toBe('text/csv; charset=Windows-31J');
      const sjisBytes = new Uint8Array(await sjis.arrayBuffer());
      // 事業者ID in Windows-31J: 8e 96 8b c6 8e d2 49 44.
      expect(Buffer.from(sjisBytes.slice(0, 8)).toString('hex')).toBe('8e968bc68ed24944');
      expect(new TextDecoder('shift_jis').decode(sjisBytes)).toBe(text);
      // "shift_jis", as older clients ask, is the same file.
      const alias = await f.call(f.a.viewer, 'GET', '/api/v1/exports/kentaikyo?month=2026-11&encoding=shift_jis');
      expect(Buffer.compare(Buffer.from(await alias.arrayBuffer()), Buffer.from(sjisBytes))).toBe(0);

      const sub = await f.call(f.sub.admin, 'GET', '/api/v1/exports/kentaikyo?month=2026-11');
      expect(new TextDecoder().decode(await sub.arrayBuffer())).toContain(
        `${f.sub.companyId},2026-11,${f.sub.worker},技能者 下請`,
      );
    });

    it("writes the records CSV with names, times in the site's zone, flags and CCUS state; Japanese headers on request", async () => {
      const response = await f.call(f.a.viewer, 'GET', '/api/v1/exports/records?month=2026-11');
      const lines = new TextDecoder().decode((await response.arrayBuffer()).slice(3)).split('\r\n');
      expect(lines[0]).toBe(
        'site_id,worker_id,worker_name,working_day,first_in,last_out,trade,position,tap_count,flags,ccus_state,ccus_receipt,deadline',
      );
      expect(lines).toContain(
        `${f.a.siteId},${f.sub.worker},技能者 下請,2026-11-20,2026-11-20T08:00:00+09:00,,型枠,,1,no_exit,pending,,2026-12-31`,
      );
      // Every time in one form: the site's zone, to the second, whether a terminal or a person gave it.
      const times = lines
        .slice(1, -1)
        .flatMap((line) => line.split(',').slice(4, 6))
        .filter((t) => t !== '');
      expect(times.length).toBeGreaterThan(0);
      for (const time of times) expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
      expect(lines.some((line) => line.includes(`,${f.a.worker},技能者 a,`))).toBe(true);
      const ja = await f.call(f.a.viewer, 'GET', '/api/v1/exports/records?month=2026-11&headers=ja');
      expect(new TextDecoder().decode((await ja.arrayBuffer()).slice(3)).split('\r\n')[0]).toBe(
        '現場ID,技能者ID,氏名,就業日,入場,退場,職種,立場,打刻数,注意,CCUS状態,受付番号,送信期限',
      );
    });

    it('refuses a Windows-31J file that cannot hold a name, naming the worker and the characters, never a silent ?', async () => {
      await f.call(f.a.admin, 'PATCH', `/api/v1/workers/${f.a.worker}`, { name: '𠮷田 Nguyễn' });
      const refused = await f.call(f.a.viewer, 'GET', '/api/v1/exports/kentaikyo?month=2026-11&encoding=windows-31j');
      const problem = await problemOf(refused);
      expect(problem).toMatchObject({ status: 422, field: 'encoding' });
      expect(problem.detail).toContain(`worker ${f.a.worker} (𠮷田 Nguyễn): 𠮷 ễ`);
      expect(problem.detail).toContain('UTF-8');
      const utf8 = await f.call(f.a.viewer, 'GET', '/api/v1/exports/kentaikyo?month=2026-11');
      expect(new TextDecoder().decode(await utf8.arrayBuffer())).toContain('𠮷田 Nguyễn');
      // What Windows-31J has under another code point is written as it has it (a Mac's wave dash).
      await f.call(f.a.admin, 'PATCH', `/api/v1/workers/${f.a.worker}`, { name: '髙橋 〜①' });
      const held = await f.call(f.a.viewer, 'GET', '/api/v1/exports/kentaikyo?month=2026-11&encoding=windows-31j');
      expect(held.status).toBe(200);
      expect(new TextDecoder('shift_jis').decode(await held.arrayBuffer())).toContain('髙橋 ～①');
    });
  });

  describe('the fleet operator', () => {
    it('leases a terminal to another tenant: the old tenant loses it, the terminal gets newer config and roster', async () => {
      const configBefore = await f.store.directory.configFor(f.a.terminalId);
      const rosterBefore = await f.store.directory.rosterFor(f.a.siteId);
      const leased = await json<{ previousTenantId: string; terminal: { siteId: string } }>(
        await f.call(f.operator, 'PUT', `/api/v1/fleet/terminals/${f.a.terminalId}/lease`, {
          tenantId: f.b.tenantId,
          siteId: f.b.siteId,
        }),
      );
      expect(leased).toMatchObject({ previousTenantId: f.a.tenantId, terminal: { siteId: f.b.siteId } });
      expect(f.effects.configs).toContain(f.a.terminalId);
      const config = await f.store.directory.configFor(f.a.terminalId);
      expect(config?.siteId).toBe(f.b.siteId);
      expect(config?.version).toBeGreaterThan(configBefore?.version ?? 0);
      // A terminal ignores a roster older than its own: the new site's must be newer than the old one's.
      expect((await f.store.directory.rosterFor(f.b.siteId)).version).toBeGreaterThan(rosterBefore.version);
      const aTerminals = await json<{ terminals: unknown[] }>(await f.call(f.a.viewer, 'GET', '/api/v1/terminals'));
      expect(aTerminals.terminals).toEqual([]);
      const notBs = await f.call(f.operator, 'PUT', `/api/v1/fleet/terminals/${f.a.terminalId}/lease`, {
        tenantId: f.b.tenantId,
        siteId: f.a.siteId,
      });
      expect(await problemOf(notBs)).toMatchObject({ status: 404, field: 'siteId' });
    });

    it('refuses a terminal without its hardware profile, naming the choices, rather than simulate it', async () => {
      const missing = await problemOf(
        await f.call(f.operator, 'POST', '/api/v1/fleet/terminals', { terminalId: 'gate-x' }),
      );
      expect(missing).toMatchObject({ status: 400, field: 'hardwareProfile' });
      expect(missing.detail).toContain(
        'pi-pn532-uart, pi-pn532-qr, pi-rc522-spi, pi-rc522-spidev, pi-firmata, simulated',
      );
      const unknown = await f.call(f.operator, 'POST', '/api/v1/fleet/terminals', {
        terminalId: 'gate-x',
        hardwareProfile: 'pi-nfc-magic',
      });
      expect(await problemOf(unknown)).toMatchObject({ status: 400, field: 'hardwareProfile' });
      expect(await (await f.call(f.operator, 'GET', '/api/v1/fleet/terminals')).text()).not.toContain('gate-x');
    });

    it('creates a terminal and its provisioning bundle; fresh credentials replace the old ones', async () => {
      await json(
        await f.call(f.operator, 'POST', '/api/v1/fleet/terminals', {
          terminalId: 'gate-new-01',
          hardwareProfile: 'pi-pn532-uart',
        }),
        201,
      );
      await json(
        await f.call(f.operator, 'PUT', '/api/v1/fleet/terminals/gate-new-01/lease', {
          tenantId: f.b.tenantId,
          siteId: f.b.siteId,
        }),
      );
      const first = await json<{ password: string }>(
        await f.call(f.operator, 'POST', '/api/v1/fleet/terminals/gate-new-01/provisioning'),
        201,
      );
      const bundle = await json<Record<string, unknown> & { password: string }>(
        await f.call(f.operator, 'POST', '/api/v1/fleet/terminals/gate-new-01/provisioning'),
        201,
      );
      expect(bundle).toMatchObject({
        terminalId: 'gate-new-01',
        siteId: f.b.siteId,
        hardwareProfile: 'pi-pn532-uart',
        broker: { url: 'mqtts://broker.example:8883' },
      });
      expect(await f.store.directory.terminalSecretMatches('gate-new-01', bundle.password)).toBe(true);
      expect(await f.store.directory.terminalSecretMatches('gate-new-01', first.password)).toBe(false);
      const terminals = await f.store.engine.run(rows(f.store.engine.db.selectFrom('terminals').selectAll()));
      expect(JSON.stringify(terminals)).not.toContain(bundle.password);
    });

    it('sends a command to a leased terminal for its tenant', async () => {
      const sent = await json<{ id: string }>(
        await f.call(f.a.admin, 'POST', `/api/v1/terminals/${f.a.terminalId}/commands`, { command: 'selftest' }),
        202,
      );
      expect(sent.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(f.effects.commands).toEqual([`${f.a.terminalId}:selftest`]);
    });
  });
});
