import { type CcusSiteWorker, planRosterImport, type RosterEntry } from '@ccus-gate/server';
import { describe, expect, it } from 'vitest';

/** What an import of CCUS's roster would change, decided before anything is written. */
describe('planning an import of CCUS’s site roster', () => {
  const ccusWorker = (change: Partial<CcusSiteWorker> = {}): CcusSiteWorker => ({
    workerId: '10000000000001',
    name: '山田 太郎',
    employerCompanyId: '1',
    trades: ['とび', '土工'],
    companyId: '1',
    trade: 'とび',
    position: null,
    workContent: null,
    ...change,
  });
  const ours = (change: Partial<RosterEntry> = {}): RosterEntry => ({
    workerId: '10000000000001',
    name: '山田 太郎',
    employerCompanyId: '1',
    trade: 'とび',
    position: null,
    workContent: null,
    periodFrom: null,
    periodUntil: null,
    cards: 1,
    ...change,
  });
  const own = new Map([
    [
      '10000000000001',
      {
        workerId: '10000000000001',
        name: '山田 太郎',
        employerCompanyId: '1',
        trades: ['とび', '土工'],
        trade: 'とび',
        position: null,
        cards: [],
      },
    ],
  ]);
  const plan = (ccus: CcusSiteWorker[], roster: RosterEntry[], access: 'prime' | 'sub' = 'prime') =>
    planRosterImport({ ccus, roster, own, access, companyId: '1' });

  it('keeps a trade CCUS does not state, and takes one it does', () => {
    expect(plan([ccusWorker({ trade: null })], [ours()])).toMatchObject({ change: [], unchanged: 1 });
    expect(plan([ccusWorker({ trade: '土工' })], [ours()]).change).toMatchObject([
      { trade: '土工', before: { trade: 'とび' } },
    ]);
  });

  it('leaves out what the importer may not place, and removes nobody', () => {
    const result = plan(
      [
        ccusWorker({ workerId: '20000000000002', employerCompanyId: '2', companyId: '2' }),
        ccusWorker({ workerId: '123' }),
      ],
      [ours()],
      'sub',
    );
    expect(result.skipped.map((s) => [s.workerId, s.reason])).toEqual([
      ['20000000000002', 'employed by company 2, whose own account imports them'],
      ['123', 'not a 14-digit CCUS worker ID'],
    ]);
    expect(result.onlyHere).toEqual([{ workerId: '10000000000001', name: '山田 太郎' }]);
    expect(result.add).toEqual([]);
  });

  it('names the plan by a digest that changes when the plan does', () => {
    const a = plan([ccusWorker({ position: 'foreman' })], [ours()]);
    const b = plan([ccusWorker({ position: 'leader' })], [ours()]);
    expect(a.digest).not.toBe(b.digest);
    expect(plan([ccusWorker({ position: 'foreman' })], [ours()]).digest).toBe(a.digest);
  });
});
