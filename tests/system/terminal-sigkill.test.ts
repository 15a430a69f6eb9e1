import { join } from 'node:path';
import { TerminalStore } from '@ccus-gate/firmware';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { T1 } from '../support/server-fixture.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { buildOnce, TerminalProcess, writeTerminalConfig } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

/** A small seeded generator, so a failing run can be repeated with CCUS_GATE_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * The terminal as systemd runs it, killed with SIGKILL (a power cut, as far as the process
 * can tell) at random moments during bursts of taps, many times over.
 */
describe('a terminal killed mid-burst', () => {
  const dir = tempDir('sigkill');
  let server: SyncServerHarness;
  let configPath: string;
  const seed = Number(process.env.CCUS_GATE_SEED ?? Date.now() % 1_000_000);
  const next = random(seed);

  beforeAll(async () => {
    buildOnce();
    server = await startSyncServer(dir.path);
    configPath = writeTerminalConfig(dir.path, {
      terminalId: server.terminalId,
      url: server.url,
      password: server.terminalPassword,
    });
  });

  afterAll(async () => {
    await server?.close();
    dir.remove();
  });

  it('keeps every tap that got positive feedback and delivers each exactly once', { timeout: 120_000 }, async () => {
    const ROUNDS = 12;
    const cards = ['012E4CD3A1B2C3D4', '04A2B3C4', '04A2B3C4D5E6F7', '0123456789ABCDEF', '04FFEEDD'];
    const answered = new Map<number, string>();
    let burstTaps = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const terminal = new TerminalProcess('run', configPath);
      await terminal.waitForLine('the terminal to start', (l) => l.msg === 'terminal started');
      // Bursts of taps, the kill landing somewhere inside them.
      const killAfterMs = Math.floor(next() * 250);
      const killer = setTimeout(() => terminal.child.kill('SIGKILL'), killAfterMs);
      for (
        let burst = 0;
        burst < 6 && terminal.child.exitCode === null && terminal.child.signalCode === null;
        burst++
      ) {
        const size = 5 + Math.floor(next() * 40);
        terminal.tap(Array.from({ length: size }, (_, i) => cards[(burst + i) % cards.length] as string));
        burstTaps += size;
        await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 60)));
      }
      const exit = await terminal.exited;
      clearTimeout(killer);
      expect(exit.signal, `round ${round} (seed ${seed}): ${terminal.stderr.join('\n')}`).toBe('SIGKILL');
      for (const tap of terminal.recordedTaps()) {
        // A sequence number answered twice would be a number reused after a crash.
        expect(answered.has(tap.seq), `seq ${tap.seq} answered twice (seed ${seed})`).toBe(false);
        answered.set(tap.seq, tap.card.id);
      }
    }
    expect(answered.size, `some taps must have been answered (seed ${seed})`).toBeGreaterThan(ROUNDS);

    // Every answered tap is on the terminal's disk, under the number it was answered with.
    const store = TerminalStore.openReadOnly(join(dir.path, 'store', 'terminal.db'));
    for (const [seq, card] of answered) expect(store.tap(seq)?.card.id, `seq ${seq} (seed ${seed})`).toBe(card);
    const total = store.summary().highestSeq;
    store.close();

    // One last, undisturbed run drains what is left; the server then holds each tap once.
    const terminal = new TerminalProcess('run', configPath);
    await terminal.waitForLine('the terminal to start', (l) => l.msg === 'terminal started');
    await waitFor('every tap on the server', () => server.store.taps.count(server.terminalId) === total, 30_000);
    await terminal.kill('SIGTERM');
    const onServer = server.store.queries.taps(T1, { limit: total + 100, offset: 0 }) as {
      seq: number;
      card: { id: string };
    }[];
    expect(onServer).toHaveLength(total);
    const bySeq = new Map(onServer.map((tap) => [tap.seq, tap.card.id]));
    expect(bySeq.size).toBe(total);
    for (const [seq, card] of answered) expect(bySeq.get(seq), `seq ${seq} on the server (seed ${seed})`).toBe(card);
    // Nothing was lost in a crash and sent under another number: the server's taps are exactly 1..total.
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(burstTaps).toBeGreaterThanOrEqual(total);
  });
});
