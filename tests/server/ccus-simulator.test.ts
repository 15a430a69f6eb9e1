import { CcusSimulator, type CcusSubmission } from '@ccus-gate/server';
import { describe, expect, it } from 'vitest';

/** The simulator's own rules, over its HTTP API as a gateway would call it. */
describe('the CCUS simulator', () => {
  const now = () => new Date('2026-11-24T03:00:00Z');
  const submission = (change: Partial<CcusSubmission> = {}): CcusSubmission => ({
    idempotencyKey: '11:880012:2026-11-23',
    companyId: '1',
    siteId: '11',
    workerId: '880012',
    workingDay: '2026-11-23',
    entryAt: '2026-11-23T08:00:00.000+09:00',
    exitAt: null,
    trade: 'とび',
    position: 'foreman',
    ...change,
  });
  const submit = async (simulator: CcusSimulator, body: unknown) => {
    const response = await simulator.app.request('/v1/work-records', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
  };

  it('refuses a record without a trade, or with one the worker is not registered for, each with its own code', async () => {
    const simulator = new CcusSimulator({ now });
    simulator.setRoster('11', [{ workerId: '880012', trades: ['とび', '土工'] }]);
    expect(await submit(simulator, submission({ trade: null }))).toMatchObject({
      status: 422,
      body: { code: 'no_trade' },
    });
    const { trade: _omitted, ...fromAnOldClient } = submission();
    expect(await submit(simulator, fromAnOldClient)).toMatchObject({ status: 422, body: { code: 'no_trade' } });
    expect(await submit(simulator, submission({ trade: '電工' }))).toMatchObject({
      status: 422,
      body: { code: 'trade_not_registered', message: expect.stringContaining('電工') },
    });
    expect(simulator.records.size).toBe(0);
    expect(await submit(simulator, submission({ trade: '土工' }))).toMatchObject({ status: 201 });
    expect([...simulator.records.values()]).toMatchObject([{ trade: '土工', position: 'foreman', submissions: 1 }]);
    expect(simulator.feesYen).toBe(10);
  });
});
