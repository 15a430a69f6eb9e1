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

  /** The company a registration body speaks for: the prime of a site, the employer of a place. */
  const callerIn = (body: unknown): string | undefined => {
    const b = body as { primeCompanyId?: string; companyId?: string } | undefined;
    return b?.primeCompanyId ?? b?.companyId;
  };

  it('keeps CCUS registration rules: the prime registers the site, each employer its own workers, each company sees its part', async () => {
    const simulator = new CcusSimulator({ now });
    /** As the company `as` (real CCUS knows it from the credentials). */
    const call = async (method: string, path: string, body?: unknown, as = callerIn(body)) => {
      const response = await simulator.app.request(path, {
        method,
        headers: { 'content-type': 'application/json', ...(as === undefined ? {} : { 'x-ccus-company': as }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as { code?: string; workers?: unknown[] } };
    };
    const site = {
      name: 'site',
      primeCompanyId: '1',
      companies: [
        { companyId: '2', name: 'first tier', tier: 1, parentCompanyId: '1' },
        { companyId: '3', name: 'second tier', tier: 2, parentCompanyId: '2' },
        { companyId: '4', name: 'other first tier', tier: 1, parentCompanyId: '1' },
      ],
    };
    expect(
      await call('PUT', '/v1/sites/11', { ...site, companies: [{ ...site.companies[1], parentCompanyId: '9' }] }),
    ).toMatchObject({ status: 422, body: { code: 'structure_broken' } });
    // Only the prime registers its site, and only an employer its own workers; without a company, nothing.
    expect(await call('PUT', '/v1/sites/11', site, '2')).toMatchObject({ status: 403, body: { code: 'not_prime' } });
    expect(await call('PUT', '/v1/sites/11', site, '')).toMatchObject({ status: 401, body: { code: 'no_company' } });
    expect((await call('PUT', '/v1/sites/11', site)).status).toBe(200);
    expect(await call('PUT', '/v1/sites/11', { ...site, primeCompanyId: '5' })).toMatchObject({
      status: 409,
      body: { code: 'site_of_another_prime' },
    });
    for (const [id, employer] of [
      ['20000000000002', '2'],
      ['30000000000003', '3'],
      ['40000000000004', '4'],
    ]) {
      expect(
        (await call('PUT', `/v1/workers/${id}`, { name: `w${id}`, employerCompanyId: employer, trades: ['鳶'] }))
          .status,
      ).toBe(200);
    }
    const place = (companyId: string, trade: string | null = '鳶') => ({
      companyId,
      trade,
      position: null,
      workContent: null,
    });
    expect(await call('PUT', '/v1/sites/11/workers/20000000000002', place('3'))).toMatchObject({
      status: 422,
      body: { code: 'not_employer' },
    });
    expect(await call('PUT', '/v1/sites/11/workers/20000000000002', place('2'), '1')).toMatchObject({
      status: 403,
      body: { code: 'not_own_worker' },
    });
    expect(await call('PUT', '/v1/sites/11/workers/20000000000002', place('9'))).toMatchObject({
      status: 422,
      body: { code: 'company_not_in_structure' },
    });
    expect(await call('PUT', '/v1/sites/11/workers/20000000000002', place('2', '電工'))).toMatchObject({
      status: 422,
      body: { code: 'trade_not_registered' },
    });
    expect(await call('PUT', '/v1/sites/11/workers/90000000000009', place('2'))).toMatchObject({
      status: 422,
      body: { code: 'unknown_worker' },
    });
    expect(await call('PUT', '/v1/sites/12/workers/20000000000002', place('2'))).toMatchObject({
      status: 404,
      body: { code: 'unknown_site' },
    });
    for (const [id, employer] of [
      ['20000000000002', '2'],
      ['30000000000003', '3'],
      ['40000000000004', '4'],
    ]) {
      expect((await call('PUT', `/v1/sites/11/workers/${id}`, place(employer as string))).status).toBe(200);
    }
    const seen = async (companyId: string) =>
      ((await call('GET', '/v1/sites/11/workers', undefined, companyId)).body.workers as { workerId: string }[]).map(
        (w) => w.workerId,
      );
    expect(await seen('1')).toEqual(['20000000000002', '30000000000003', '40000000000004']);
    expect(await seen('2')).toEqual(['20000000000002', '30000000000003']);
    expect(await seen('3')).toEqual(['30000000000003']);
    expect(await call('GET', '/v1/sites/11/workers', undefined, '9')).toMatchObject({
      status: 403,
      body: { code: 'company_not_in_structure' },
    });
    // Taking a company out of the structure takes its workers off the roster with it.
    expect((await call('PUT', '/v1/sites/11', { ...site, companies: site.companies.slice(0, 2) })).status).toBe(200);
    expect(await seen('1')).toEqual(['20000000000002', '30000000000003']);
  });
});
