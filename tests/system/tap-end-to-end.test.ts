import { join } from 'node:path';
import type { Stack } from '@ccus-gate/demo';
import { type Ack, decodeMessage, type TapBatch, topicFor } from '@ccus-gate/protocol';
import Database from 'better-sqlite3';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../support/local-stack.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/**
 * One tap, all the way: simulated card → terminal SQLite file (before feedback) → MQTT
 * QoS 1 over a real socket → server SQLite (idempotent) → ack → delivered mark → work
 * record → accepted by the CCUS simulator over HTTP.
 */
describe('a tap travels end to end', () => {
  const dir = tempDir('e2e');
  let stack: Stack;
  let spy: MqttClient;
  const seen: { topic: string; payload: Buffer }[] = [];
  let rowWhenGreen: unknown;
  const rowOnDisk = (): unknown => {
    const db = new Database(join(dir.path, 'terminal', 'terminal.db'), { readonly: true });
    try {
      return db.prepare('SELECT seq, card_id, state FROM taps ORDER BY seq DESC LIMIT 1').get();
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    stack = await startLocalStack(dir.path, {
      onOutput: (output, on) => {
        if (output === 'green' && on && rowWhenGreen === undefined) rowWhenGreen = rowOnDisk() ?? null;
      },
    });
    const secrets = (await import(join(dir.path, 'demo-secrets.json'), { with: { type: 'json' } })).default as {
      servicePassword: string;
    };
    // A second service client watches the wire, as an operator would with mosquitto_sub.
    spy = connect(stack.broker.url, {
      clientId: 'e2e-spy',
      username: 'ccus-gate-server',
      password: secrets.servicePassword,
      protocolVersion: 4,
    });
    await new Promise<void>((resolve, reject) => {
      spy.once('connect', () => resolve());
      spy.once('error', reject);
    });
    await spy.subscribeAsync([topicFor(stack.demo.terminalId, 'taps'), topicFor(stack.demo.terminalId, 'ack')], {
      qos: 1,
    });
    spy.on('message', (topic, payload) => seen.push({ topic, payload }));
  });

  afterAll(async () => {
    await spy?.endAsync();
    await stack?.close();
    dir.remove();
  });

  it('commits, feeds back, sends, stores, acks, marks delivered, builds the record and reaches CCUS; a replay adds nothing', async () => {
    const worker = stack.demo.workers[0];
    if (worker === undefined) throw new Error('demo has no workers');
    // 1. Read: a FeliCa card on the simulated reader. The first light must find the tap
    // already on disk, read through another connection at the moment the LED switches.
    stack.reader.present(worker.card.tech, worker.card.id);
    stack.reader.remove();
    const onDisk = await waitFor('the green light', () => rowWhenGreen);
    expect(onDisk).toMatchObject({ seq: 1, card_id: worker.card.id, state: 'pending' });
    expect(stack.outputs.red.changes.filter((c) => c.on)).toHaveLength(0);

    // 2. The MQTT message on the wire.
    const published = await waitFor('the tap batch on MQTT', () => seen.find((m) => m.topic.endsWith('/taps')));
    const batch: TapBatch = decodeMessage('taps', published.payload);
    expect(batch.terminalId).toBe(stack.demo.terminalId);
    expect(batch.taps).toHaveLength(1);
    expect(batch.taps[0]).toMatchObject({
      seq: 1,
      card: worker.card,
      workerId: worker.workerId,
      direction: 'in',
      clockSynced: true,
      // The demo terminal toggles: the server may decide the direction again from the whole site.
      flags: ['toggle'],
    });

    // 3. The server row.
    await waitFor('the server to store the tap', () => stack.serverStore.taps.count(stack.demo.terminalId) === 1);

    // 4. The ack.
    const ackMessage = await waitFor('the ack on MQTT', () => seen.find((m) => m.topic.endsWith('/ack')));
    const ack: Ack = decodeMessage('ack', ackMessage.payload);
    expect(ack).toMatchObject({ batchId: batch.batchId, accepted: { from: 1, to: 1 }, rejected: [], error: null });

    // 5. Delivered on the terminal.
    await waitFor('the delivered mark', () => (rowOnDisk() as { state: string }).state === 'delivered');
    expect(stack.terminalStore.counts()).toMatchObject({ pending: 0, delivered: 1 });

    // 6. The work record, and 7. its acceptance by the CCUS simulator.
    // Built just after the ack, from the queue the batch's transaction filled.
    const records = await waitFor('the record', () => {
      const built = stack.serverStore.queries.records(stack.serverStore.directory.tenantScope(stack.demo.tenantId), {
        limit: 10,
        offset: 0,
      });
      return built.length > 0 ? built : undefined;
    });
    expect(records).toHaveLength(1);
    const key = { siteId: stack.demo.siteId, workerId: worker.workerId, workingDay: records[0]?.workingDay ?? '' };
    const accepted = await waitFor('CCUS acceptance', () => {
      const record = stack.serverStore.queries.recordByKey(key);
      return record?.ccus?.state === 'accepted' ? record : undefined;
    });
    expect(accepted).toMatchObject({ firstIn: batch.taps[0]?.at, lastOut: null, flags: ['no_exit'] });
    const simulated = [...stack.simulator.records.values()];
    expect(simulated).toHaveLength(1);
    expect(simulated[0]).toMatchObject({
      workerId: worker.workerId,
      siteId: stack.demo.siteId,
      receipt: accepted.ccus?.receipt,
    });
    expect(stack.simulator.feesYen).toBe(10);

    // 8. The same batch again, byte for byte: acked again, nothing new anywhere.
    const revision = accepted.revision;
    seen.length = 0;
    await spy.publishAsync(published.topic, published.payload, { qos: 1 });
    const replayAck = decodeMessage(
      'ack',
      (await waitFor('the ack for the replay', () => seen.find((m) => m.topic.endsWith('/ack')))).payload,
    );
    expect(replayAck).toMatchObject({
      batchId: batch.batchId,
      accepted: { from: 1, to: 1 },
      rejected: [],
      error: null,
    });
    expect(stack.serverStore.taps.count(stack.demo.terminalId)).toBe(1);
    expect(stack.serverStore.queries.recordByKey(key)?.revision).toBe(revision);
    expect(
      stack.serverStore.queries.records(stack.serverStore.directory.tenantScope(stack.demo.tenantId), {
        limit: 10,
        offset: 0,
      }),
    ).toHaveLength(1);
    expect(stack.simulator.records.size).toBe(1);
    expect(stack.simulator.feesYen).toBe(10);
  });

  it("reports the terminal's own health in its status, read off this machine", async () => {
    await waitFor('a status with health', () => {
      const status = stack.serverStore.directory.terminalView(null, stack.demo.terminalId).status as {
        health?: { storeBytes: number; memoryRssBytes: number; uptimeSeconds: number; diskFreeBytes: number | null };
      } | null;
      return status?.health !== undefined;
    });
    const { health } = stack.serverStore.directory.terminalView(null, stack.demo.terminalId).status as {
      health: { storeBytes: number; memoryRssBytes: number; uptimeSeconds: number; diskFreeBytes: number | null };
    };
    expect(health.storeBytes).toBeGreaterThan(0);
    expect(health.memoryRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(health.uptimeSeconds).toBeGreaterThan(0);
    expect(health.diskFreeBytes).toBeGreaterThan(0);
  });

  it('serves the record over the HTTP API to the demo token only', async () => {
    const response = await fetch(`${stack.http.url}/api/v1/records`, {
      headers: { authorization: `Bearer ${stack.demo.apiToken}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { records: { ccus: { state: string } }[] };
    expect(body.records[0]?.ccus.state).toBe('accepted');
    const refused = await fetch(`${stack.http.url}/api/v1/records`, { headers: { authorization: 'Bearer nope' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });
});
