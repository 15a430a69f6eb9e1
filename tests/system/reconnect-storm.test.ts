import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseTerminalId } from '@ccus-gate/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

const TERMINALS = 200;
/** As the field saw it: two minutes. CCUS_GATE_OUTAGE_SECONDS shortens it when working on this test. */
const OUTAGE_MS = Number(process.env.CCUS_GATE_OUTAGE_SECONDS ?? 120) * 1000;

/**
 * A site's broker goes away for two minutes while 200 terminals are connected to it: when
 * it comes back they are all back within 15 s, and not all in the same second.
 */
describe('200 terminals and a broker outage', () => {
  const dir = tempDir('reconnect-storm');
  let server: SyncServerHarness;
  const terminals: { id: string; t: TestTerminal }[] = [];

  beforeAll(async () => {
    server = await startSyncServer(dir.path);
    for (let i = 0; i < TERMINALS; i++) {
      const terminalId = parseTerminalId(`gate-r${String(i).padStart(3, '0')}`);
      const password = server.store.directory.createTerminal({ terminalId, tenantId: 't1', siteId: server.siteId });
      const own = join(dir.path, terminalId);
      mkdirSync(own);
      const t = await startTestTerminal({
        dir: own,
        url: server.url,
        terminalId,
        password,
        clock: testClock('2026-11-24T00:00:00Z'),
      });
      terminals.push({ id: terminalId, t });
    }
  }, 120_000);

  afterAll(async () => {
    for (const { t } of terminals) await t.stop();
    await server.close();
    dir.remove();
  });

  it('has every terminal back within 15 s of the broker’s return, spread out', {
    timeout: OUTAGE_MS + 120_000,
  }, async () => {
    await waitFor('all connected', () => terminals.every(({ t }) => t.terminal.sync.connected), 60_000);
    await server.stopBroker();
    await waitFor('all disconnected', () => terminals.every(({ t }) => !t.terminal.sync.connected), 30_000);
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));

    const back = new Map<string, number>();
    for (const { id, t } of terminals) t.terminal.sync.once('connected', () => back.set(id, Date.now() - returned));
    const returned = Date.now();
    await server.startBroker();
    await waitFor('all reconnected', () => back.size === TERMINALS, 30_000);

    const delays = [...back.values()].sort((a, b) => a - b);
    expect(delays.at(-1)).toBeLessThanOrEqual(15_000);
    // Spread out: no second of the return takes more than a third of the fleet.
    const perSecond = new Map<number, number>();
    for (const delay of delays)
      perSecond.set(Math.floor(delay / 1000), (perSecond.get(Math.floor(delay / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThan(TERMINALS / 3);
    expect((delays.at(-1) as number) - (delays[0] as number)).toBeGreaterThan(2_000);
  });
});
