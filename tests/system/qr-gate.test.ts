import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { ensureBinary } from '../support/system-package.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

/**
 * The 建キャリ QR code at a real terminal process: a scanner on a serial line (a pseudo-
 * terminal pair from socat, which serialport opens as it opens /dev/ttyACM0), next to a card
 * reader, as the terminal's hardware profile names them.
 */
describe('a QR scan at the gate', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let socat: ChildProcess;
  let terminal: TerminalProcess | undefined;
  let scannerSide: string;
  let terminalSide: string;

  beforeEach(async () => {
    buildOnce();
    const socatPath = ensureBinary('socat', 'socat');
    dir = tempDir('qr-gate');
    server = await startSyncServer(dir.path);
    terminalSide = join(dir.path, 'ttyQR-terminal');
    scannerSide = join(dir.path, 'ttyQR-scanner');
    socat = spawn(socatPath, [`pty,raw,echo=0,link=${terminalSide}`, `pty,raw,echo=0,link=${scannerSide}`], {
      stdio: 'ignore',
    });
    await waitFor('the serial pair', () => existsSync(terminalSide) && existsSync(scannerSide));
  }, 180_000);
  afterEach(async () => {
    if (terminal !== undefined && terminal.child.exitCode === null) await terminal.kill('SIGTERM');
    socat.kill();
    await server.close();
    dir.remove();
  });

  it('records the worker the code names, and refuses a code that names no one with a reason', async () => {
    const profile = join(dir.path, 'pn532-and-qr.json');
    writeFileSync(
      profile,
      JSON.stringify({
        name: 'card reader and QR scanner',
        readers: [
          { driver: 'simulated', name: 'card', input: 'stdin' },
          { driver: 'qr-serial', name: 'qr', path: terminalSide, baudRate: 9600 },
        ],
        outputs: { driver: 'simulated' },
      }),
    );
    terminal = new TerminalProcess(
      'run',
      writeTerminalConfig(dir.path, {
        terminalId: server.terminalId,
        url: server.url,
        password: server.terminalPassword,
        extra: { hardware: { profile } },
      }),
    );
    await terminal.waitForLine('the terminal to start', (l) => l.msg === 'terminal started', 60_000);
    await terminal.waitForLine('its roster', (l) => l.msg === 'roster applied');
    const worker = server.workers[0]?.workerId as string;

    // The scanner sends each code it decodes as text and a CR, like one in serial mode.
    writeFileSync(scannerSide, 'https://example.com/not-a-worker\r');
    const refused = await terminal.waitForLine('the refusal', (l) => l.event === 'tap' && l.outcome === 'readError');
    expect(JSON.stringify(refused)).toContain('not a worker ID');
    writeFileSync(scannerSide, `${worker.slice(0, 4)}-${worker.slice(4, 8)}-${worker.slice(8)}\r`);
    const entry = await terminal.waitForLine('the entry', (l) => l.event === 'tap' && l.outcome === 'entry');
    expect(entry).toMatchObject({ card: { tech: 'qr', id: worker } });

    await waitFor('the tap at the server', () =>
      server.store.db.raw
        .prepare(`SELECT tech, card_id, worker_id FROM taps WHERE terminal_id = ? AND tech = 'qr'`)
        .get(server.terminalId),
    );
    expect(
      server.store.db.raw
        .prepare(`SELECT tech, card_id, worker_id FROM taps WHERE terminal_id = ?`)
        .all(server.terminalId),
    ).toEqual([{ tech: 'qr', card_id: worker, worker_id: worker }]);
  });
});
