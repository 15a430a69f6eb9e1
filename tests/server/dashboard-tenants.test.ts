import { parseTerminalId } from '@ccus-gate/protocol';
import { describe, expect, it } from 'vitest';
import { auditCount, freshWebFixtures, unknownCardIds, type WebFixture } from '../support/web-client.js';

/**
 * The dashboard over HTTP: one tenant never sees or changes another's pages.
 */
describe("the contractor dashboard: one tenant never sees or changes another's pages", () => {
  let f: WebFixture;
  freshWebFixtures('dashboard-tenants', (fixture) => {
    f = fixture;
  });

  it("answers B's requests for A's site as not found, and B's pages hold nothing of A", async () => {
    const b = await f.client('b-admin');
    for (const path of ['/today', '/records', '/attention', '/workers']) {
      expect((await b.get(`${path}?site=${f.a.siteId}`)).status, path).toBe(404);
      await b.get(path);
      expect(b.html, path).not.toContain('技能者 a');
      expect(b.html, path).not.toContain('A1A1A1A1');
    }
    await b.get('/terminals');
    expect(b.html).not.toContain('gate-a');
    expect(
      (await b.request('GET', `/exports/records.csv?month=2026-11&site=${f.a.siteId}&encoding=utf-8`)).status,
    ).toBe(404);
    expect((await b.request('GET', `/live?view=today&site=${f.a.siteId}`)).status).toBe(404);
  });

  it("changes nothing of A's when B posts A's ids", async () => {
    const b = await f.client('b-admin');
    await b.get('/attention');
    const before = auditCount(f);
    const attempts = [
      ['/attention/bind', { tech: 'mifare', card: 'A1A1A1A1', workerId: f.a.worker }],
      [`/terminals/${f.a.terminalId}/selftest`, {}],
      ['/roster/remove', { site: f.a.siteId, workerId: f.a.worker }],
      [`/workers/${f.a.worker}/remove`, {}],
      ['/records/retry', { site: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-20' }],
    ] as const;
    for (const [path, fields] of attempts) {
      const response = await b.post(path, { ...fields, back: '/attention' });
      expect(response.status, path).toBe(303);
      expect(await b.follow(response), path).toContain('できませんでした');
    }
    expect(auditCount(f)).toBe(before);
    expect(f.effects.commands).toEqual([]);
    expect(await unknownCardIds(f, f.a.admin)).toContain('A1A1A1A1');
    const roster = (await (await f.call(f.a.admin, 'GET', `/api/v1/sites/${f.a.siteId}/roster`)).json()) as {
      roster: { workerId: string }[];
    };
    expect(roster.roster.map((r) => r.workerId)).toContain(f.a.worker);
  });

  it("tells a live page only of its own site's taps", async () => {
    const a = await f.client('a-admin');
    const response = await a.request('GET', `/live?view=today&site=${f.a.siteId}`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const next = async (): Promise<string> => decoder.decode((await reader.read()).value);
    expect(await next()).toContain('data: hello');
    const batch = (terminalId: string) => ({
      terminalId: parseTerminalId(terminalId),
      result: { ack: {} as never, inserted: 1, records: [], enrolmentWaiting: false },
      ackMs: 1,
    });
    const pending = reader.read();
    f.events.emit('batch', batch(f.b.terminalId));
    const quiet = new Promise((resolve) => setTimeout(() => resolve('quiet'), 200));
    expect(await Promise.race([pending.then(() => "B's batch reached A"), quiet])).toBe('quiet');
    f.events.emit('batch', batch(f.a.terminalId));
    expect(decoder.decode((await pending).value)).toBe('event: change\ndata: \n\n');
    await reader.cancel();
  });
});
