import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * What a person does about a record, through the HTTP API: an exit on the next morning, a
 * mistaken tap voided, the real time of taps from a clock that was never set, the day's trade
 * and position, and the site roster's trade, position, work content and period.
 */
describe('fixing records over the HTTP API', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  const record = async (workingDay: string) => {
    const response = await f.call(f.a.viewer, 'GET', `/api/v1/records/${f.a.siteId}/${f.a.worker}/${workingDay}`);
    return { status: response.status, body: (await response.json()) as { record?: Record<string, unknown> } };
  };
  const correct = async (body: Record<string, unknown>) => {
    const response = await f.call(f.a.admin, 'POST', '/api/v1/corrections', body);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeEach(() => {
    dir = tempDir('corrections');
    f = apiFixture(dir.path);
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  it("sets a night shift's exit on the next calendar morning, but not past the maximum shift", async () => {
    const { card, worker } = f.a;
    f.tap(f.a.terminalId, [{ card, workerId: worker, direction: 'in', at: '2026-11-22T21:30:00.000+09:00' }]);
    const key = { siteId: f.a.siteId, workerId: worker, workingDay: '2026-11-22', reason: 'night shift' };
    const tooLate = await correct({ kind: 'set_times', ...key, lastOut: '2026-11-23T15:00:00.000+09:00' });
    expect(tooLate.status).toBe(400);
    expect(JSON.stringify(tooLate.body)).toContain('more than 16 hours after the entry');
    const ok = await correct({ kind: 'set_times', ...key, lastOut: '2026-11-23T05:30:00.000+09:00' });
    expect(ok.status).toBe(201);
    expect((await record('2026-11-22')).body.record).toMatchObject({
      firstIn: '2026-11-22T21:30:00.000+09:00',
      lastOut: '2026-11-23T05:30:00.000+09:00',
      flags: ['manual'],
    });
  });

  it('voids a mistaken tap: kept and audited, left out of its record', async () => {
    const { card, worker } = f.a;
    f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' },
      { card, workerId: worker, direction: 'in', at: '2026-11-23T12:30:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-23T17:00:00.000+09:00' },
    ]);
    const taps = (await (await f.call(f.a.viewer, 'GET', `/api/v1/taps?siteId=${f.a.siteId}&limit=50`)).json()) as {
      taps: { terminalId: string; seq: number; at: string; counted: boolean }[];
    };
    const mistaken = taps.taps.find((tap) => tap.at === '2026-11-23T08:00:00.000+09:00');
    expect(mistaken).toBeDefined();
    const voided = await correct({
      kind: 'void_tap',
      terminalId: mistaken?.terminalId,
      seq: mistaken?.seq,
      reason: 'tapped for a colleague',
    });
    expect(voided.status).toBe(201);
    expect((await record('2026-11-23')).body.record).toMatchObject({
      firstIn: '2026-11-23T12:30:00.000+09:00',
      tapCount: 2,
    });
    const after = (await (await f.call(f.a.viewer, 'GET', `/api/v1/taps?siteId=${f.a.siteId}&limit=50`)).json()) as {
      taps: { seq: number; counted: boolean }[];
    };
    expect(after.taps.find((tap) => tap.seq === mistaken?.seq)).toMatchObject({ counted: false });
    const again = await correct({
      kind: 'void_tap',
      terminalId: mistaken?.terminalId,
      seq: mistaken?.seq,
      reason: 'x',
    });
    expect(again.status).toBe(409);
    const audit = (await (await f.call(f.a.admin, 'GET', '/api/v1/audit?limit=5')).json()) as {
      audit: { action: string; reason: string }[];
    };
    expect(audit.audit[0]).toMatchObject({ action: 'void_tap', reason: 'tapped for a colleague' });
    // Another tenant cannot see, let alone void, A's taps.
    const fromB = await f.call(f.b.admin, 'POST', '/api/v1/corrections', {
      kind: 'void_tap',
      terminalId: mistaken?.terminalId,
      seq: 2,
      reason: 'x',
    });
    expect(fromB.status).toBe(404);
  });

  it('releases records held at 1970 once a person says when one of the boot’s taps really was', async () => {
    const { card, worker } = f.a;
    // A Pi without a real-time clock that never synchronised: its taps say 1970, counted from boot.
    f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '1970-01-01T00:05:00.000Z', clockSynced: false, mono: 300_000 },
      {
        card,
        workerId: worker,
        direction: 'out',
        at: '1970-01-01T09:05:00.000Z',
        clockSynced: false,
        mono: 32_700_000,
      },
    ]);
    const held = (await record('1970-01-01')).body.record;
    expect(held).toMatchObject({ flags: ['implausible_time'], ccus: { state: 'held' } });
    const closed = await correct({
      kind: 'set_times',
      siteId: f.a.siteId,
      workerId: worker,
      workingDay: '1970-01-01',
      firstIn: '1970-01-01T00:05:00.000Z',
      reason: 'x',
    });
    expect(closed.status).toBe(400);
    const taps = (await (await f.call(f.a.viewer, 'GET', `/api/v1/taps?siteId=${f.a.siteId}&limit=50`)).json()) as {
      taps: { terminalId: string; seq: number; at: string }[];
    };
    const first = taps.taps.find((tap) => tap.at === '1970-01-01T00:05:00.000Z');
    const set = await correct({
      kind: 'set_tap_time',
      terminalId: first?.terminalId,
      seq: first?.seq,
      at: '2026-11-23T08:00:00.000+09:00',
      reason: 'the foreman saw him arrive at eight',
    });
    expect(set.status).toBe(201);
    expect((await record('1970-01-01')).status).toBe(404);
    expect((await record('2026-11-23')).body.record).toMatchObject({
      firstIn: '2026-11-22T23:00:00.000Z',
      lastOut: '2026-11-23T08:00:00.000Z',
      flags: ['clock_corrected'],
      ccus: { state: 'pending' },
    });
  });

  it("sets the day's trade and position, audited, refusing a trade the worker is not registered for", async () => {
    const { card, worker } = f.a;
    f.tap(f.a.terminalId, [{ card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' }]);
    expect((await record('2026-11-23')).body.record).toMatchObject({ trade: 'とび', position: null });
    const key = { siteId: f.a.siteId, workerId: worker, workingDay: '2026-11-23', reason: 'led the crew' };
    const wrong = await correct({ kind: 'set_trade', ...key, trade: '電工', position: 'foreman' });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain('not 電工');
    const ok = await correct({ kind: 'set_trade', ...key, trade: 'とび', position: 'foreman' });
    expect(ok.status).toBe(201);
    expect((await record('2026-11-23')).body.record).toMatchObject({ trade: 'とび', position: 'foreman' });
  });

  it('keeps trade, position, work content and period on the site roster, and a record outside the period is flagged', async () => {
    const { card, worker } = f.a;
    const put = await f.call(f.a.admin, 'PUT', `/api/v1/sites/${f.a.siteId}/roster/${worker}`, {
      trade: 'とび',
      position: 'leader',
      workContent: '足場組立',
      periodFrom: '2026-11-23',
      periodUntil: '2026-12-31',
    });
    expect(put.status).toBe(200);
    const roster = (await (await f.call(f.a.viewer, 'GET', `/api/v1/sites/${f.a.siteId}/roster`)).json()) as {
      roster: Record<string, unknown>[];
    };
    expect(roster.roster.find((entry) => entry.workerId === worker)).toMatchObject({
      trade: 'とび',
      position: 'leader',
      workContent: '足場組立',
      periodFrom: '2026-11-23',
      periodUntil: '2026-12-31',
    });
    f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-22T08:00:00.000+09:00' },
      { card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' },
    ]);
    expect((await record('2026-11-22')).body.record?.flags).toContain('not_on_roster');
    expect((await record('2026-11-23')).body.record).toMatchObject({
      trade: 'とび',
      position: 'leader',
      flags: ['no_exit'],
    });
    const unregistered = await f.call(f.a.admin, 'PUT', `/api/v1/sites/${f.a.siteId}/roster/${worker}`, {
      trade: '電工',
    });
    expect(unregistered.status).toBe(400);
    const backwards = await f.call(f.a.admin, 'PUT', `/api/v1/sites/${f.a.siteId}/roster/${worker}`, {
      periodFrom: '2026-12-01',
      periodUntil: '2026-11-01',
    });
    expect(backwards.status).toBe(400);
  });

  it('holds a record whose worker has no trade anywhere, and says why', async () => {
    const { card, worker } = f.a;
    await f.call(f.a.admin, 'PATCH', `/api/v1/workers/${worker}`, { trades: [] });
    f.tap(f.a.terminalId, [{ card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' }]);
    expect((await record('2026-11-23')).body.record).toMatchObject({
      trade: null,
      flags: ['no_exit', 'no_trade'],
      ccus: { state: 'held', heldReason: expect.stringContaining('trade') },
    });
  });

  it("takes the site's maximum shift as a setting, tells its terminals, and pairs by it", async () => {
    const patch = await f.call(f.a.admin, 'PATCH', `/api/v1/sites/${f.a.siteId}`, { maxShiftHours: 8 });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as { site: { maxShiftHours: number } }).site.maxShiftHours).toBe(8);
    expect(f.effects.configs).toContain(f.a.terminalId);
    expect(f.store.directory.configFor(f.a.terminalId)).toMatchObject({ maxShiftHours: 8 });
    const tooLong = await f.call(f.a.admin, 'PATCH', `/api/v1/sites/${f.a.siteId}`, { maxShiftHours: 25 });
    expect(tooLong.status).toBe(400);
    const { card, worker } = f.a;
    f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-22T21:30:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-23T07:30:00.000+09:00' },
    ]);
    expect((await record('2026-11-22')).body.record?.flags).toEqual(['no_exit']);
    expect((await record('2026-11-23')).body.record?.flags).toEqual(['no_entry']);
  });

  it('answers every page and call for a record on an impossible day, never a 500', async () => {
    const { card, worker } = f.a;
    f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '9999-12-31T08:00:00.000+09:00' },
      { card, workerId: worker, direction: 'in', at: '1970-01-01T08:00:00.000+09:00', clockSynced: false, mono: 1 },
    ]);
    for (const day of ['9999-12-31', '1970-01-01']) {
      const answer = await record(day);
      expect(answer.status).toBe(200);
      expect(answer.body.record).toMatchObject({ ccus: { state: 'held' } });
    }
    for (const path of [
      '/api/v1/records?limit=100',
      `/api/v1/records/at-risk?withinDays=7`,
      `/api/v1/taps?siteId=${f.a.siteId}&limit=100`,
      '/api/v1/outbox?limit=100',
      `/api/v1/exports/records?month=2026-11`,
      `/api/v1/records/${f.a.siteId}/${worker}/9999-12-31/taps`,
    ]) {
      expect((await f.call(f.a.viewer, 'GET', path)).status, path).toBe(200);
    }
  });
});
