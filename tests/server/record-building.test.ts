import { parseSiteId, parseTerminalId } from '@ccus-gate/protocol';
import { type EngineKind, execute, kentaikyoCalendar, type StoreEngine } from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixtureOn } from '../support/api-fixture.js';
import { ENGINES, StoreEngines } from '../support/store-engines.js';
import { tempDir } from '../support/temp-dir.js';

describe.each(ENGINES)('work records (就業履歴) on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture<StoreEngine>;
  const scopeA = () => ({ tenantId: f.a.tenantId, companyId: f.a.companyId });
  const record = async (workingDay: string, siteId: string = f.a.siteId) =>
    await f.store.queries.recordByKey({ siteId, workerId: f.a.worker, workingDay });

  beforeEach(async () => {
    dir = tempDir('records');
    f = await apiFixtureOn(kind, dir.path, kind === 'postgres' ? { postgresUrl: await engines.postgresUrl() } : {});
  });

  afterEach(async () => {
    await f.close();
    dir.remove();
  });
  afterAll(() => engines.close());

  it('keeps a night shift on the day it began: an exit after midnight, before the day boundary', async () => {
    const { card, worker } = f.a;
    await f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-22T20:00:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-23T03:30:00.000+09:00' },
    ]);
    expect(await record('2026-11-22')).toMatchObject({
      firstIn: '2026-11-22T20:00:00.000+09:00',
      lastOut: '2026-11-23T03:30:00.000+09:00',
      flags: [],
    });
    expect(await record('2026-11-23')).toBeNull();
  });

  it('makes one record per site when a worker works on two sites in a day, and counts one day for 建退共', async () => {
    const second = parseSiteId('20260000000011');
    await f.store.directory.createSite({
      siteId: second,
      tenantId: f.a.tenantId,
      name: '第二現場',
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
    });
    await f.store.directory.addToRoster(second, f.a.worker);
    const gate2 = parseTerminalId('gate-a2');
    await f.store.directory.createTerminal({ terminalId: gate2, tenantId: f.a.tenantId, siteId: second });
    const { card, worker } = f.a;
    await f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-23T12:00:00.000+09:00' },
    ]);
    await f.tap(gate2, [
      { card, workerId: worker, direction: 'in', at: '2026-11-23T13:00:00.000+09:00' },
      { card, workerId: worker, direction: 'out', at: '2026-11-23T17:00:00.000+09:00' },
    ]);
    expect(await record('2026-11-23')).toMatchObject({ lastOut: '2026-11-23T12:00:00.000+09:00', flags: [] });
    expect(await record('2026-11-23', second)).toMatchObject({ firstIn: '2026-11-23T13:00:00.000+09:00', flags: [] });
    const records = await f.store.queries.records(scopeA(), { month: '2026-11', limit: 100, offset: 0 });
    const csv = kentaikyoCalendar('2026-11', f.a.companyId, records, () => ({
      name: 'a',
      employerCompanyId: f.a.companyId,
      trade: null,
    }));
    expect(csv.lines[1]?.at(-1)).toBe(2);
  });

  it('stops a rebuild at its time budget and leaves the rest queued, not lost', async () => {
    const { card, worker } = f.a;
    // Days far enough apart that each is its own stretch of shifts.
    const days = ['2026-11-03', '2026-11-13', '2026-11-23'];
    await f.tap(
      f.a.terminalId,
      days.map((day) => ({ card, workerId: worker, direction: 'in' as const, at: `${day}T08:00:00.000+09:00` })),
    );
    const { engine } = f.store;
    for (const day of days) {
      await engine.run(
        execute(
          engine.db
            .insertInto('record_queue')
            .values({ site_id: f.a.siteId, worker_id: worker, working_day: day })
            .onConflict((conflict) => conflict.doNothing()),
        ),
      );
    }

    // A budget already spent still builds one stretch, so the queue always moves.
    expect(await f.store.records.rebuildQueued(200, 0)).toHaveLength(1);
    expect(await f.store.records.queued()).toBe(2);
    expect(await f.store.records.rebuildQueued(200, Number.POSITIVE_INFINITY)).toHaveLength(2);
    expect(await f.store.records.queued()).toBe(0);
    for (const day of days) expect((await record(day))?.flags).toEqual(['no_exit']);
  });

  it('flags a forgotten exit, and a person fixes it', async () => {
    const { card, worker } = f.a;
    await f.tap(f.a.terminalId, [{ card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' }]);
    expect((await record('2026-11-23'))?.flags).toEqual(['no_exit']);
    await f.store.corrections.setTimes(
      { ...scopeA(), name: 'site office' },
      {
        siteId: f.a.siteId,
        workerId: worker,
        workingDay: '2026-11-23',
        firstIn: null,
        lastOut: '2026-11-23T17:00:00.000+09:00',
        reason: 'left with the last truck',
      },
    );
    await f.store.records.rebuildQueued();
    expect(await record('2026-11-23')).toMatchObject({ lastOut: '2026-11-23T17:00:00.000+09:00', flags: ['manual'] });
  });

  it('flags a worker not on the site roster, and clears the flag once they are added', async () => {
    const { card, worker } = f.a;
    await f.store.directory.removeFromRoster(scopeA(), f.a.siteId, worker);
    await f.tap(f.a.terminalId, [{ card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' }]);
    expect((await record('2026-11-23'))?.flags).toEqual(['no_exit', 'not_on_roster']);
    await f.store.directory.addToRoster(f.a.siteId, worker);
    await f.store.records.rebuildQueued();
    expect((await record('2026-11-23'))?.flags).toEqual(['no_exit']);
  });

  it('gives the taps of a card bound later to its worker, flagged as unknown at the gate', async () => {
    await f.store.corrections.bindCard({ ...scopeA(), name: 'office' }, f.a.unknownCard, f.a.worker, 'second card');
    await f.store.records.rebuildQueued();
    expect(await record('2026-11-20')).toMatchObject({ tapCount: 3, flags: ['unknown_card'] });
  });

  it('holds a record from an unsynchronised clock until a person confirms it, and then sends it', async () => {
    const { card, worker } = f.a;
    await f.tap(f.a.terminalId, [
      { card, workerId: worker, direction: 'in', at: '2026-11-23T08:00:00.000+09:00', clockSynced: false },
      { card, workerId: worker, direction: 'out', at: '2026-11-23T17:00:00.000+09:00', clockSynced: false },
    ]);
    const held = await record('2026-11-23');
    expect(held?.flags).toEqual(['clock_unsynced']);
    expect(held?.ccus).toMatchObject({ state: 'held', heldReason: expect.stringContaining('not synchronised') });
    // The forwarder never picks it up while it is held.
    expect((await f.store.outbox.claimDue(100, 'test', 60_000)).map((item) => item.workingDay)).not.toContain(
      '2026-11-23',
    );

    await f.store.corrections.confirmClock(
      { ...scopeA(), name: 'foreman' },
      { siteId: f.a.siteId, workerId: worker, workingDay: '2026-11-23', reason: 'I saw him arrive at eight' },
    );
    await f.store.records.rebuildQueued();
    const confirmed = await record('2026-11-23');
    expect(confirmed).toMatchObject({ flags: ['manual'], ccus: { state: 'pending', heldReason: null } });
  });

  it('keeps taps from before a terminal changed hands with the tenant and site they were taken for', async () => {
    await f.store.directory.lease(f.a.terminalId, {
      tenantId: f.b.tenantId,
      siteId: f.b.siteId,
      from: '2026-11-24T04:00:00.000Z',
      until: null,
    });
    // Still in the terminal's queue when it moved: taken under A's lease, delivered under B's.
    await f.tap(f.a.terminalId, [
      { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-24T12:30:00.000+09:00' },
      { card: f.b.card, workerId: f.b.worker, direction: 'in', at: '2026-11-24T13:30:00.000+09:00' },
    ]);
    expect(await record('2026-11-24')).toMatchObject({ siteId: f.a.siteId, tapCount: 1 });
    expect(
      await f.store.queries.recordByKey({ siteId: f.b.siteId, workerId: f.b.worker, workingDay: '2026-11-24' }),
    ).toMatchObject({
      tapCount: 1,
    });
    const aTaps = await f.store.queries.taps(scopeA(), { limit: 100, offset: 0 });
    expect(aTaps.some((tap) => tap.card.id === f.b.card.id)).toBe(false);
  });
});
