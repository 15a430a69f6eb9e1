import { parseWorkerId } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

/**
 * "Bind the next tap at this terminal", with the terminal as systemd runs it: the admin asks,
 * the worker taps a new card at the gate, the card is theirs, and so are its taps.
 */
describe('enrolling a card by a tap', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let terminal: TerminalProcess | undefined;
  let admin: string;

  beforeEach(async () => {
    buildOnce();
    dir = tempDir('enrol-by-tap');
    server = await startSyncServer(dir.path);
    admin = server.store.directory.createApiToken('t1', 'admin', 'site office');
  }, 180_000);
  afterEach(async () => {
    if (terminal !== undefined && terminal.child.exitCode === null) await terminal.kill('SIGTERM');
    await server.close();
    dir.remove();
  });

  const call = (method: string, path: string, body?: unknown, token = admin): Promise<Response> =>
    Promise.resolve(
      server.server.app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );

  it('binds the next unknown card tapped at the terminal to the worker, audited, and the terminal then knows it', async () => {
    const newcomer = parseWorkerId('50000000000005');
    expect(
      (await call('POST', '/api/v1/workers', { workerId: newcomer, name: '新人 五郎', trades: ['とび'] })).status,
    ).toBe(201);
    // On the site's roster, with no card yet: the card comes from the gate.
    expect((await call('PUT', `/api/v1/sites/${server.siteId}/roster/${newcomer}`, {})).status).toBe(200);
    terminal = new TerminalProcess(
      'run',
      writeTerminalConfig(dir.path, {
        terminalId: server.terminalId,
        url: server.url,
        password: server.terminalPassword,
      }),
    );
    await terminal.waitForLine('the terminal to start', (l) => l.msg === 'terminal started', 60_000);
    await terminal.waitForLine('its roster', (l) => l.msg === 'roster applied');

    const asked = await call('POST', `/api/v1/workers/${newcomer}/enrol`, { terminalId: server.terminalId });
    expect(asked.status).toBe(202);
    // A known worker taps first: that is no unknown card, and binds nothing.
    terminal.tap([server.workers[0]?.card.id as string, '04C0FFEE']);
    await waitFor(
      'the card bound',
      async () => {
        const worker = (await (await call('GET', `/api/v1/workers/${newcomer}`)).json()) as {
          worker: { cards: { id: string }[] };
        };
        return worker.worker.cards.some((card) => card.id === '04C0FFEE');
      },
      15_000,
    );
    // The tap that bound it is the worker's, and so is a record; the audit names who asked.
    await waitFor('the record', () =>
      server.store.queries.records(T1, { limit: 10, offset: 0 }).some((r) => r.workerId === newcomer),
    );
    const audit = JSON.stringify(server.store.corrections.audit(T1, { limit: 10, offset: 0 }));
    expect(audit).toContain('site office');
    expect(audit).toContain('enrolled by a tap');
    // The terminal gets a roster with the card: its next tap is the worker's at the gate already.
    await waitFor('a roster with the card', () => {
      return terminal?.lines.some((l) => l.msg === 'roster applied' && Number(l.entries) === 3);
    });
    const before = terminal.lines.length;
    terminal.tap(['04C0FFEE']);
    const tap = await terminal.waitForLine(
      'the tap',
      (l) => l.event === 'tap' && (l.card as { id?: string })?.id === '04C0FFEE',
      15_000,
      before,
    );
    // An entry or exit, not "unknown card": the gate knows whose card it is now.
    expect(['entry', 'exit']).toContain(tap.outcome);
    // The request is done: another unknown card binds nothing.
    terminal.tap(['04BADBAD']);
    await waitFor('the stray tap stored', () => server.store.taps.count(server.terminalId) === 4);
    const after = (await (await call('GET', `/api/v1/workers/${newcomer}`)).json()) as { worker: { cards: unknown[] } };
    expect(after.worker.cards).toHaveLength(1);
  });

  it("refuses another tenant's terminal and a worker not on the tenant's own books", async () => {
    server.store.directory.createTenant({ tenantId: 't2', companyId: '2', name: 'two' });
    const other = server.store.directory.createApiToken('t2', 'admin', 'other office');
    server.store.directory.addWorker({ workerId: parseWorkerId('60000000000006'), tenantId: 't2', name: 'x' });
    const theirs = await call('POST', '/api/v1/workers/60000000000006/enrol', { terminalId: server.terminalId }, other);
    expect(theirs.status).toBe(404);
    const noWorker = await call('POST', '/api/v1/workers/60000000000006/enrol', { terminalId: server.terminalId });
    expect(noWorker.status).toBe(404);
    expect(((await noWorker.json()) as { field: string }).field).toBe('workerId');
  });
});
