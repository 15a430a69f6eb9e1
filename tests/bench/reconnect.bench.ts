import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTerminalId } from '@ccus-gate/protocol';
import { connectAsync } from 'mqtt';
import { startSyncServer } from '../support/sync-server.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';
import { type Benchmark, figure, percentile } from './harness.js';

const TERMINALS = 200;
const OUTAGE_MS = Number(process.env.CCUS_GATE_BENCH_OUTAGE_SECONDS ?? 120) * 1000;

/**
 * How long after a broker's return a fleet of 200 terminals is back, after an outage of
 * two minutes: each terminal's reconnect delay, next to one raw MQTT connect and sign-in
 * to the same broker.
 */
export const benchmark: Benchmark = {
  name: 'reconnect',
  description: `${TERMINALS} terminals (the whole terminal, in one process) reconnecting after a ${OUTAGE_MS / 1000}-s broker outage: delay from the broker's return to each terminal's connect`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-reconnect-'));
    const server = await startSyncServer(dir);
    const terminals: { id: string; t: TestTerminal }[] = [];
    try {
      for (let i = 0; i < TERMINALS; i++) {
        const terminalId = parseTerminalId(`gate-b${String(i).padStart(3, '0')}`);
        const password = server.store.directory.createTerminal({ terminalId, tenantId: 't1', siteId: server.siteId });
        mkdirSync(join(dir, terminalId));
        const t = await startTestTerminal({
          dir: join(dir, terminalId),
          url: server.url,
          terminalId,
          password,
          clock: testClock('2026-11-24T00:00:00Z'),
        });
        terminals.push({ id: terminalId, t });
      }
      await waitFor('all connected', () => terminals.every(({ t }) => t.terminal.sync.connected), 60_000);
      // The primitive: one MQTT connect and sign-in to this broker, as a terminal makes it.
      const raw: number[] = [];
      for (let i = 0; i < 20; i++) {
        const at = performance.now();
        const client = await connectAsync(server.url, {
          ...server.service,
          clientId: `bench-${i}`,
          reconnectPeriod: 0,
        });
        raw.push(performance.now() - at);
        await client.endAsync();
      }
      await server.stopBroker();
      await waitFor('all disconnected', () => terminals.every(({ t }) => !t.terminal.sync.connected), 30_000);
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
      const delays: number[] = [];
      let returned = 0;
      for (const { t } of terminals) t.terminal.sync.once('connected', () => delays.push(performance.now() - returned));
      returned = performance.now();
      await server.startBroker();
      await waitFor('all reconnected', () => delays.length === TERMINALS, 60_000);
      const rawMs = { metric: 'one MQTT connect and sign-in, p50', value: percentile(raw, 50), unit: 'ms' };
      return [
        figure('reconnect after the outage, p50', percentile(delays, 50), 'ms', rawMs),
        figure('reconnect after the outage, max (the whole fleet back)', Math.max(...delays), 'ms', rawMs, '≤ 15 s'),
      ];
    } finally {
      for (const { t } of terminals) await t.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
