import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSiteId, parseWorkerId } from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, CLI, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

const T2 = { tenantId: 't2', companyId: '2' };

/**
 * A terminal moved to another contractor while taps of the first still wait on it (the
 * broker was unreachable): the technician applies the new bundle the operator issued, as
 * documented, and the waiting taps still reach the first contractor, none the second.
 */
describe('re-leasing a terminal while taps wait', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let terminal: TerminalProcess | undefined;

  beforeEach(async () => {
    buildOnce();
    dir = tempDir('re-lease');
    server = await startSyncServer(dir.path);
  }, 180_000);
  afterEach(async () => {
    if (terminal !== undefined && terminal.child.exitCode === null) await terminal.kill('SIGKILL');
    await server.close();
    dir.remove();
  });

  it("delivers every waiting tap to the previous tenant with the new bundle's credentials, none to the new one", async () => {
    const { store } = server;
    const siteB = parseSiteId('22');
    store.directory.createTenant({ tenantId: 't2', companyId: '2', name: 'two' });
    store.directory.createSite({
      siteId: siteB,
      tenantId: 't2',
      name: 'b',
      rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
    });
    // The second contractor has bound the same card to a worker of its own: it still gets nothing of the first's.
    const [first] = server.workers;
    if (first === undefined) throw new Error('the harness has workers');
    const theirs = parseWorkerId('20000000000009');
    store.directory.addWorker({ workerId: theirs, tenantId: 't2', name: 'theirs', trades: ['とび'] });
    store.directory.addToRoster(siteB, theirs);
    store.directory.addCard(first.card, theirs, T2);

    const config = writeTerminalConfig(dir.path, {
      terminalId: server.terminalId,
      url: server.url,
      password: server.terminalPassword,
    });
    terminal = new TerminalProcess('run', config);
    await terminal.waitForLine('the terminal to start', (line) => line.msg === 'terminal started', 60_000);
    await terminal.waitForLine('its config', (line) => line.msg === 'config applied');
    await terminal.waitForLine('its roster', (line) => line.msg === 'roster applied');
    await server.stopBroker(); // the site's network goes down: taps wait on the terminal
    terminal.tap(server.workers.map((w) => w.card.id));
    await waitFor('both taps recorded', () => terminal?.recordedTaps().length === 2);
    await terminal.kill('SIGTERM');

    // The operator moves the terminal to the second contractor and issues its bundle: the old password stops working.
    const operator = store.directory.createApiToken(null, 'operator', 'fleet');
    const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
      server.server.app.request(path, {
        method,
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect(
      (await call('PUT', `/api/v1/fleet/terminals/${server.terminalId}/lease`, { tenantId: 't2', siteId: siteB }))
        .status,
    ).toBe(200);
    const bundle = await call('POST', `/api/v1/fleet/terminals/${server.terminalId}/provisioning`);
    expect(bundle.status).toBe(201);
    const bundleFile = join(dir.path, 'bundle.json');
    writeFileSync(bundleFile, await bundle.text());
    await server.startBroker();

    // The technician applies it, as documented, and starts the terminal again.
    const applied = spawnSync(process.execPath, [CLI, 'provision', bundleFile, '--config', config], {
      encoding: 'utf8',
    });
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('2 taps of the previous tenant wait');
    terminal = new TerminalProcess('run', config);
    await waitFor('the waiting taps delivered', () => store.taps.count(server.terminalId) === 2, 30_000);

    const stored = store.db.raw.prepare('SELECT site_id, worker_id FROM taps ORDER BY seq').all();
    expect(stored).toEqual(server.workers.map((w) => ({ site_id: server.siteId, worker_id: w.workerId })));
    expect(store.queries.taps(T1, { limit: 10, offset: 0 })).toHaveLength(2);
    expect(store.queries.taps(T2, { limit: 10, offset: 0 })).toEqual([]);
    await waitFor('the records built', () => store.queries.records(T1, { limit: 10, offset: 0 }).length === 2);
    expect(store.queries.records(T2, { limit: 10, offset: 0 })).toEqual([]);
    // The terminal holds the new contractor's roster now, nothing of the first's.
    await terminal.waitForLine('the new roster', (line) => line.msg === 'roster applied');
    const held = new Database(join(dir.path, 'store', 'terminal.db'), { readonly: true });
    const roster = held.prepare('SELECT worker_id FROM roster').pluck().all();
    held.close();
    expect(roster).toEqual([theirs]);
  });
});
