import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchSender } from '../support/batch-sender.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { onlineStatus } from '../support/terminal-status.js';
import { waitFor } from '../support/wait.js';

/** One sample's value from Prometheus text, or undefined when the series is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The server's Prometheus metrics after real traffic: a terminal's batches over MQTT, CCUS answering. */
describe('server metrics', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let operator: string;

  beforeEach(async () => {
    dir = tempDir('metrics');
    server = await startSyncServer(dir.path);
    operator = server.store.directory.createApiToken(null, 'operator', 'prometheus');
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  const scrape = async (token = operator): Promise<Response> =>
    server.server.app.request('/api/v1/fleet/metrics', { headers: { authorization: `Bearer ${token}` } });

  it('counts taps, batches by outcome, ack latency, CCUS outcomes, queues and terminals online', async () => {
    const sender = await BatchSender.connect(server.url, server.terminalId, server.terminalPassword);
    const [worker] = server.workers;
    if (worker === undefined) throw new Error('the harness has workers');
    const at = new Date().toISOString();
    await sender.send([{ ...worker, direction: 'in', at }]);
    await sender.send([{ ...worker, direction: 'in', at: new Date(Date.parse(at) + 1000).toISOString() }]);
    await sender.close();
    const junk = await server.terminalClient();
    await junk.publishAsync(`ccus/v1/t/${server.terminalId}/taps`, 'not json', { qos: 1 });
    await junk.publishAsync(
      `ccus/v1/t/${server.terminalId}/status`,
      JSON.stringify(onlineStatus(server.terminalId, { at, queueDepth: 42, oldestUndeliveredAt: at })),
      { qos: 1 },
    );
    await junk.endAsync();
    await waitFor('CCUS to accept the record', () => server.simulator.records.size === 1, 15_000);

    let text = '';
    await waitFor('the metrics to show it all', async () => {
      const response = await scrape();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      text = await response.text();
      return (
        sample(text, 'ccus_gate_ccus_submissions_total{outcome="accepted"}') === 1 &&
        sample(text, `ccus_gate_terminal_queue_depth{terminal="${server.terminalId}"}`) === 42 &&
        sample(text, 'ccus_gate_records_queued') === 0
      );
    });
    expect(sample(text, 'ccus_gate_taps_stored_total')).toBe(2);
    expect(sample(text, 'ccus_gate_tap_batches_total{outcome="stored"}')).toBe(2);
    expect(sample(text, 'ccus_gate_tap_batches_total{outcome="refused"}')).toBe(1);
    expect(sample(text, 'ccus_gate_ack_seconds_count')).toBe(3);
    expect(sample(text, 'ccus_gate_terminals_online')).toBe(1);
    expect(sample(text, 'ccus_gate_broker_connected')).toBe(1);
    expect(text).toContain('ccus_gate_server_process_resident_memory_bytes');
  });

  it('serves them to the operator only', async () => {
    const viewer = server.store.directory.createApiToken('t1', 'viewer', 'curious');
    expect((await scrape(viewer)).status).toBe(403);
    expect((await server.server.app.request('/api/v1/fleet/metrics')).status).toBe(401);
  });
});
