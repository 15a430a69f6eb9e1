import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTerminalId, type TerminalId } from '@ccus-gate/protocol';
import { DEFAULT_TERMINAL_SETTINGS } from '@ccus-gate/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/mosquitto.js';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, type LogLine, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

/**
 * Gates with more than one terminal, as they run on site: real `ccus-gate-terminal run`
 * processes against the real server. Two toggle terminals learn from the server who is on
 * site; a two-reader gate takes a tap on the other reader as a correction.
 */
describe('a gate with several terminals', () => {
  const dir = tempDir('gate-terminals');
  let server: SyncServerHarness;
  const running: TerminalProcess[] = [];

  const start = async (
    terminalId: TerminalId,
    password: string,
    extra: Record<string, unknown> = {},
  ): Promise<TerminalProcess> => {
    const home = join(dir.path, terminalId);
    mkdirSync(home, { recursive: true });
    const config = writeTerminalConfig(home, {
      terminalId,
      url: server.url,
      password,
      extra: { log: { level: 'debug' }, ...extra },
    });
    const terminal = new TerminalProcess('run', config);
    running.push(terminal);
    await terminal
      .waitForLine(`${terminalId} to apply its config`, (l) => l.msg === 'config applied')
      .catch((error) => {
        throw new Error(
          `${(error as Error).message}\n${running.map((t) => t.lines.map((l) => JSON.stringify(l)).join('\n')).join('\n---\n')}`,
        );
      });
    return terminal;
  };
  /** A terminal registered at the site, with its settings set as a contractor does: through the API, which tells it. */
  const register = async (terminalId: TerminalId, settings: Record<string, unknown>): Promise<string> => {
    const password = server.store.directory.createTerminal({
      terminalId,
      tenantId: T1.tenantId,
      siteId: server.siteId,
    });
    const admin = server.store.directory.createApiToken(T1.tenantId, 'admin', `admin for ${terminalId}`);
    const response = await server.server.app.request(`/api/v1/terminals/${terminalId}/settings`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...DEFAULT_TERMINAL_SETTINGS, ...settings }),
    });
    expect(response.status).toBe(200);
    return password;
  };
  const outcomeOf = (terminal: TerminalProcess, from: number): Promise<LogLine> =>
    terminal.waitForLine('a tap outcome', (l) => l.event === 'tap', 15_000, from);

  beforeAll(async () => {
    buildOnce();
    server = await startSyncServer(dir.path);
  });

  afterAll(async () => {
    for (const terminal of running) await terminal.kill('SIGTERM');
    await server?.close();
    dir.remove();
  });

  it('answers "exit" at the second toggle terminal to a worker who entered through the first', {
    timeout: 60_000,
  }, async () => {
    const second = parseTerminalId('gate-test-02');
    const password = await register(second, { debounceSeconds: 0 });
    const east = await start(server.terminalId, server.terminalPassword);
    const west = await start(second, password);
    const worker = server.workers[0] as SyncServerHarness['workers'][number];

    let from = east.lines.length;
    east.tap([worker.card.id]);
    expect(await outcomeOf(east, from)).toMatchObject({ outcome: 'entry' });
    // The server pairs the tap, then tells every terminal at the site who is on site.
    await west.waitForLine('west to hear the worker is on site', (l) => l.msg === 'presence applied' && l.onSite === 1);
    from = west.lines.length;
    const eastHeard = east.lines.length;
    west.tap([worker.card.id]);
    expect(await outcomeOf(west, from)).toMatchObject({ outcome: 'exit' });
    await waitFor('the record', () => {
      const records = server.store.queries.records(T1, {
        siteId: server.siteId,
        workerId: worker.workerId,
        limit: 5,
        offset: 0,
      });
      return records.length === 1 && records[0]?.lastOut !== null ? records[0] : undefined;
    });
    const [record] = server.store.queries.records(T1, {
      siteId: server.siteId,
      workerId: worker.workerId,
      limit: 5,
      offset: 0,
    });
    expect(record).toMatchObject({ tapCount: 2, flags: [] });
    // Back at the first gate: the server said they left, so a tap there is an entry again.
    await east.waitForLine(
      'east to hear the worker left',
      (l) => l.msg === 'presence applied' && l.onSite === 0,
      15_000,
      eastHeard,
    );
    from = east.lines.length;
    east.tap([worker.card.id]);
    expect(await outcomeOf(east, from)).toMatchObject({ outcome: 'entry' });
  });

  it('records a tap on the in-reader just after a mistaken one on the out-reader, and the record starts there', {
    timeout: 60_000,
  }, async () => {
    const gate = parseTerminalId('gate-test-03');
    const password = await register(gate, { directionMode: 'two-reader', debounceSeconds: 10 });
    const [inPort, outPort] = [await freePort(), await freePort()];
    const profile = join(dir.path, 'two-readers.json');
    writeFileSync(
      profile,
      JSON.stringify({
        name: 'two simulated readers, each taking taps over HTTP',
        readers: [
          { driver: 'simulated', name: 'in', input: 'none', httpPort: inPort },
          { driver: 'simulated', name: 'out', input: 'none', httpPort: outPort },
        ],
        outputs: { driver: 'simulated' },
      }),
    );
    const terminal = await start(gate, password, { hardware: { profile } });
    const worker = server.workers[1] as SyncServerHarness['workers'][number];
    const tapOn = async (port: number): Promise<LogLine> => {
      const from = terminal.lines.length;
      const response = await fetch(`http://127.0.0.1:${port}/tap`, { method: 'POST', body: worker.card.id });
      expect(response.status).toBe(202);
      return outcomeOf(terminal, from);
    };
    expect(await tapOn(outPort)).toMatchObject({ outcome: 'exit' });
    expect(await tapOn(outPort)).toMatchObject({ outcome: 'already' });
    expect(await tapOn(inPort)).toMatchObject({ outcome: 'entry' });
    const record = await waitFor('the record', () => {
      const [found] = server.store.queries.records(T1, {
        siteId: server.siteId,
        workerId: worker.workerId,
        limit: 5,
        offset: 0,
      });
      return found?.firstIn !== null ? found : undefined;
    });
    expect(record).toMatchObject({ lastOut: null, tapCount: 1, flags: ['no_exit'] });
    const taps = server.store.queries
      .taps(T1, { siteId: server.siteId, limit: 50, offset: 0 })
      .filter((t) => t.terminalId === gate);
    expect(taps.map((t) => [t.terminalDirection, t.counted, t.flags])).toEqual([
      ['in', true, ['reader_correction']],
      ['out', false, []],
    ]);
  });
});
