import { type DayWorked, levelProgress } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/** `n` working days before `today`, five a week, in `trade`, as `position` on the last `asLeader`. */
function history(n: number, trade: string, options: { today?: string; asLeader?: number } = {}): DayWorked[] {
  const days: DayWorked[] = [];
  let at = Date.parse(`${options.today ?? '2026-11-30'}T00:00:00Z`);
  while (days.length < n) {
    at -= 86_400_000;
    const weekday = new Date(at).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    days.push({
      workingDay: new Date(at).toISOString().slice(0, 10),
      trade,
      position: days.length < (options.asLeader ?? 0) ? 'foreman' : null,
    });
  }
  return days;
}

describe('level progress', () => {
  it('counts each calendar day once, whatever the number of sites, and per trade', () => {
    const days = history(10, '型枠');
    const twice = [
      ...days,
      ...days.map((d) => ({ ...d })),
      { workingDay: days[0]?.workingDay as string, trade: '鉄筋', position: null },
    ];
    const progress = levelProgress(twice, '2026-11-30', ['型枠', '左官']);
    expect(progress.days).toBe(10);
    expect(progress.trades.map((t) => [t.trade, t.days])).toEqual([
      ['型枠', 10],
      ['鉄筋', 1],
      ['左官', 0],
    ]);
  });

  it('reaches level 2 at 645 days, and level 3 at 1,505 with 215 as foreman or leader', () => {
    expect(levelProgress(history(644, '型枠'), '2026-11-30').trades[0]).toMatchObject({
      level: 1,
      next: { level: 2, days: 645, daysShort: 1 },
    });
    expect(levelProgress(history(645, '型枠'), '2026-11-30').trades[0]).toMatchObject({
      level: 2,
      next: { level: 3, days: 1_505, leaderDays: 215 },
    });
    // Enough days but too few as foreman: still level 2, short of leader days only.
    expect(levelProgress(history(1_505, '型枠', { asLeader: 200 }), '2026-11-30').trades[0]).toMatchObject({
      level: 2,
      next: { daysShort: 0, leaderDaysShort: 15 },
    });
    expect(levelProgress(history(1_505, '型枠', { asLeader: 215 }), '2026-11-30').trades[0]).toMatchObject({
      level: 3,
      next: null,
    });
  });

  it('asks more of とび for level 3, as its evaluation body publishes', () => {
    expect(levelProgress(history(1_505, 'とび', { asLeader: 300 }), '2026-11-30').trades[0]).toMatchObject({
      level: 2,
      next: { level: 3, days: 1_720, daysShort: 215 },
    });
  });

  it("projects the next level at the last 12 months' pace, and says never when there is none", () => {
    // 260 days in the last year (five a week): 100 more days take about 140 calendar days.
    const progress = levelProgress(history(545, '型枠'), '2026-11-30').trades[0];
    expect(progress?.daysLastYear).toBe(260);
    expect(progress?.next?.expectedOn).toBe('2027-04-19');
    const idle = levelProgress(history(545, '型枠', { today: '2024-01-01' }), '2026-11-30').trades[0];
    expect(idle?.daysLastYear).toBe(0);
    expect(idle?.next?.expectedOn).toBeNull();
  });
});

describe('level progress over the API', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  beforeEach(() => {
    dir = tempDir('levels');
    f = apiFixture(dir.path);
    f.now.value = new Date('2026-11-30T12:00:00+09:00');
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  it("counts a worker's days at the tenant's sites, per trade, says it is a lower bound, and exports them", async () => {
    f.tap(f.a.terminalId, [
      { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-24T08:00:00.000+09:00' },
      { card: f.a.card, workerId: f.a.worker, direction: 'out', at: '2026-11-24T17:00:00.000+09:00' },
      { card: f.a.card, workerId: f.a.worker, direction: 'in', at: '2026-11-25T08:00:00.000+09:00' },
    ]);
    const one = (await (await f.call(f.a.viewer, 'GET', `/api/v1/workers/${f.a.worker}/levels`)).json()) as {
      levels: { days: number; trades: { trade: string; days: number; level: number; next: { daysShort: number } }[] };
      note: string;
    };
    // The fixture's day (2026-11-20) and these two.
    expect(one.levels.days).toBe(3);
    expect(one.levels.trades).toEqual([
      expect.objectContaining({ trade: 'とび', days: 3, level: 1, next: expect.objectContaining({ daysShort: 642 }) }),
    ]);
    expect(one.note).toContain('lower bound');
    const all = (await (await f.call(f.a.viewer, 'GET', '/api/v1/levels')).json()) as {
      levels: { workerId: string }[];
    };
    expect(all.levels.map((row) => row.workerId)).toContain(f.a.worker);
    expect(JSON.stringify(all)).not.toContain(f.b.worker);
    const csv = await f.call(f.a.viewer, 'GET', '/api/v1/exports/levels?headers=ja');
    expect(csv.status).toBe(200);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe(
      '技能者ID,氏名,職種,就業日数,職長・班長日数,直近12か月の日数,レベル,次のレベル,不足日数,不足職長・班長日数,到達見込み日',
    );
    expect(text).toContain(`${f.a.worker},技能者 a,とび,3,0,3,1,2,642,0,`);
    expect((await f.call(f.a.viewer, 'GET', `/api/v1/workers/${f.b.worker}/levels`)).status).toBe(404);
  });
});
