import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCardRef, parseTerminalId, parseWorkerId } from '@ccus-gate/protocol';
import { DEFAULT_TERMINAL_SETTINGS } from '@ccus-gate/server';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/mosquitto.js';
import { staffSite, storeWithSite, T1 } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, SERVER_CLI, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

/**
 * The sync server as systemd runs it (embedded broker), killed with SIGKILL again and again
 * while a terminal drains its backlog into it: every tap is stored once, in the order of its
 * sequence number, whatever was in flight when the server died.
 */
describe('a server killed mid-drain', () => {
  const dir = tempDir('server-sigkill');
  const terminalId = parseTerminalId('gate-k1');
  const cards = Array.from({ length: 20 }, (_, i) => parseCardRef(`04${(0xa00000 + i).toString(16).toUpperCase()}`));
  let configPath: string;
  let serverConfig: string;
  let terminal: TerminalProcess | undefined;
  let server: TerminalProcess | undefined;

  beforeAll(async () => {
    buildOnce();
    const { store, siteId } = storeWithSite(dir.path);
    staffSite(store, siteId, {
      terminals: [],
      workers: cards.map((card, i) => ({ workerId: parseWorkerId(String(30_000_000_000_001 + i)), card })),
    });
    const password = store.directory.createTerminal({ terminalId, tenantId: 't1', siteId });
    store.directory.setTerminalSettings(T1, terminalId, { ...DEFAULT_TERMINAL_SETTINGS, debounceSeconds: 0 });
    store.close();
    const port = await freePort();
    serverConfig = join(dir.path, 'server.json');
    writeFileSync(
      serverConfig,
      JSON.stringify({
        database: 'server.db',
        http: { host: '127.0.0.1', port: 0 },
        broker: { mode: 'embedded', host: '127.0.0.1', port },
        ccus: { mode: 'file', dir: 'uploads' },
        log: { level: 'info' },
      }),
    );
    configPath = writeTerminalConfig(dir.path, {
      terminalId,
      url: `mqtt://127.0.0.1:${port}`,
      password,
    });
  }, 180_000);

  afterAll(async () => {
    for (const child of [terminal, server])
      if (child !== undefined && child.child.exitCode === null) await child.kill('SIGKILL');
    dir.remove();
  });

  const stored = (): number[] => {
    const db = new Database(join(dir.path, 'server.db'), { readonly: true });
    try {
      // rowid: the order the server stored them in (a replay inserts nothing).
      return db
        .prepare(`SELECT seq FROM taps WHERE terminal_id = ? ORDER BY rowid`)
        .pluck()
        .all(terminalId) as number[];
    } finally {
      db.close();
    }
  };

  it('stores every tap once, in sequence order, across kills', { timeout: 150_000 }, async () => {
    const BACKLOG = 6_000;
    terminal = new TerminalProcess('run', configPath);
    await terminal.waitForLine('the terminal to start', (l) => l.msg === 'terminal started', 60_000);
    for (let i = 0; i < BACKLOG; i += 200) {
      terminal.tap(Array.from({ length: 200 }, (_, j) => (cards[(i + j) % cards.length] as { id: string }).id));
    }
    await waitFor('the backlog taken', () => terminal?.recordedTaps().length === BACKLOG, 60_000);

    for (let kill = 0; kill < 6; kill++) {
      const before = stored().length;
      server = new TerminalProcess('serve', serverConfig, SERVER_CLI);
      await server.waitForLine('the server to start', (l) => l.msg === 'sync server started', 30_000);
      // Killed while batches are in flight: some taken by the broker, not yet stored.
      await waitFor(
        'some of the backlog stored',
        () => stored().length > before + 150 || stored().length === BACKLOG,
        30_000,
      );
      await server.kill('SIGKILL');
    }
    server = new TerminalProcess('serve', serverConfig, SERVER_CLI);
    await server.waitForLine('the server to start', (l) => l.msg === 'sync server started', 30_000);
    await waitFor('the whole backlog stored', () => stored().length === BACKLOG, 60_000);
    expect(stored()).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 1));
  });
});
