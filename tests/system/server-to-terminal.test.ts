import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/** What a contractor changes through the API reaches the terminal at the gate, and the terminal's state comes back. */
describe.each([
  ['a repository answering at once (SQLite)', false],
  ['a repository answering later (as PostgreSQL would)', true],
])('server to terminal, on %s', (_name, answerLater) => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let t: TestTerminal;
  let admin: string;
  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    server.server.app.request(path, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeEach(async () => {
    dir = tempDir('to-terminal');
    server = await startSyncServer(dir.path, { answerLater });
    admin = server.store.directory.createApiToken('t1', 'admin', 'office');
    t = await startTestTerminal({
      dir: dir.path,
      ...server.terminalConnection(),
      clock: testClock('2026-11-24T00:00:00Z'),
    });
    await waitFor('the roster', () => t.store.rosterVersion() !== null);
  });

  afterEach(async () => {
    await t?.stop();
    await server.close();
    dir.remove();
  });

  it("sends a new worker's card to the terminal, which then knows them at the gate", async () => {
    const card = '04C0FFEE';
    expect(t.tap(card).kind).toBe('unknown');
    const before = t.store.rosterVersion() as number;
    expect((await call('POST', '/api/v1/workers', { workerId: '10000000000077', name: '新人' })).status).toBe(201);
    expect((await call('POST', '/api/v1/workers/10000000000077/cards', { card })).status).toBe(201);
    expect((await call('PUT', `/api/v1/sites/${server.siteId}/roster/10000000000077`, {})).status).toBe(200);
    await waitFor('the new roster at the terminal', () => (t.store.rosterVersion() as number) > before);
    await waitFor(
      'the card to resolve',
      () => t.store.resolveCard({ tech: 'mifare', id: card } as never) === '10000000000077',
    );
    expect(t.tap(card).kind).not.toBe('unknown');
    // The tap taken while the card was unknown became the worker's when the card was bound.
    await waitFor(
      "both taps on the server as the worker's",
      () =>
        server.store.queries.taps(T1, { limit: 10, offset: 0 }).filter((tap) => tap.workerId === '10000000000077')
          .length === 2,
    );
  });

  it('sends changed settings as a newer config, which the terminal applies and keeps', async () => {
    const settings = { directionMode: 'in', debounceSeconds: 30, unknownCard: 'refuse', retentionDays: 45 };
    expect((await call('PUT', `/api/v1/terminals/${server.terminalId}/settings`, settings)).status).toBe(200);
    await waitFor('the config at the terminal', () => t.store.savedConfig()?.unknownCard === 'refuse');
    expect(t.store.savedConfig()).toMatchObject({ directionMode: 'in', debounceSeconds: 30, retentionDays: 45 });
    expect(t.tap('04DEAD01').kind).toBe('refused');
  });

  it('shows the terminal online with its queue, clock and versions, and offline once it stops', async () => {
    const view = async () =>
      (
        (await (await call('GET', `/api/v1/terminals/${server.terminalId}`)).json()) as {
          terminal: { status: { state: string; queueDepth?: number; clock?: unknown; rosterVersion?: number } | null };
        }
      ).terminal.status;
    // The first status may go out before the roster arrives; the next one carries its version.
    await waitForAsync(
      'an online status with the roster',
      async () => (await view())?.rosterVersion === t.store.rosterVersion(),
    );
    const online = await view();
    expect(online).toMatchObject({ state: 'online', queueDepth: 0, clock: { synced: true } });
    expect(online?.rosterVersion).toBe(t.store.rosterVersion());
    const sent = await call('POST', `/api/v1/terminals/${server.terminalId}/commands`, { command: 'report_status' });
    expect(sent.status).toBe(202);
    await t.stop();
    await waitForAsync('an offline status', async () => (await view())?.state === 'offline');
  });

  it("runs a self-test on command and reports the result in the terminal's status", async () => {
    const sent = await call('POST', `/api/v1/terminals/${server.terminalId}/commands`, { command: 'selftest' });
    expect(sent.status).toBe(202);
    const { id } = (await sent.json()) as { id: string };
    const lastCommand = await waitForAsync('the self-test result', async () => {
      const body = (await (await call('GET', `/api/v1/terminals/${server.terminalId}`)).json()) as {
        terminal: { status: { lastCommand?: { id: string; ok: boolean; detail: string } | null } | null };
      };
      const last = body.terminal.status?.lastCommand;
      return last?.id === id ? last : undefined;
    });
    expect(lastCommand).toMatchObject({ command: 'selftest', ok: true, detail: expect.stringContaining('reader ok') });
    // The lights and the buzzer played for whoever stands at the gate.
    expect(t.outputs.green.changes.length + t.outputs.buzzer.changes.length).toBeGreaterThan(0);
  });
});
