import { randomUUID } from 'node:crypto';
import { TERMINAL_MAX_PACKET_BYTES } from '@ccus-gate/server';
import fc from 'fast-check';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchSender } from '../support/batch-sender.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/** Junk over a real broker: the running server answers each tap message and keeps going. */
describe('fuzzed messages over MQTT', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;
  let client: MqttClient;

  beforeEach(async () => {
    dir = tempDir('mqtt-fuzz');
    server = await startSyncServer(dir.path);
    client = await server.terminalClient();
  });

  afterEach(async () => {
    client.end(true);
    await server.close();
    dir.remove();
  });

  it('acks every tap message with a reason, quarantines bad status, and still takes a good batch after', async () => {
    const taps = `ccus/v1/t/${server.terminalId}/taps`;
    const status = `ccus/v1/t/${server.terminalId}/status`;
    const acks: { error: { code: string; message: string } | null; accepted: unknown }[] = [];
    client.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString())));
    await client.subscribeAsync(`ccus/v1/t/${server.terminalId}/ack`, { qos: 1 });
    const junk = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
        fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
        fc.string({ minLength: 1 }).map((text) => Buffer.from(text)),
      ),
      { numRuns: 300, seed: 20261124 },
    );
    for (const payload of junk) client.publish(taps, payload, { qos: 1 });
    for (const payload of junk.slice(0, 100)) client.publish(status, payload, { qos: 1 });
    await waitFor('an ack for every tap message', () => acks.length >= junk.length, 20_000);
    expect(acks.every((ack) => ack.error !== null && ack.error.message.length > 5)).toBe(true);
    await waitFor(
      'the status junk quarantined',
      () => server.store.quarantineLog.all().filter((q) => q.topic === status).length === 100,
    );

    const worker = server.workers[0];
    const good = {
      v: 1,
      terminalId: server.terminalId,
      batchId: randomUUID(),
      sentAt: new Date().toISOString(),
      taps: [
        {
          seq: 1,
          card: worker?.card,
          workerId: worker?.workerId,
          direction: 'in',
          at: new Date().toISOString(),
          bootId: randomUUID(),
          mono: 1000,
          clockSynced: true,
          flags: [],
        },
      ],
    };
    client.publish(taps, JSON.stringify(good), { qos: 1 });
    await waitFor('the good batch acked', () => acks.length === junk.length + 1);
    expect(acks.at(-1)).toMatchObject({ error: null, accepted: { from: 1, to: 1 } });
  });

  it('answers payloads up to the packet limit and closes the connection past it; then takes a good batch, memory bounded', async () => {
    const topic = `ccus/v1/t/${server.terminalId}/taps`;
    // The PUBLISH packet around a payload: header byte, 3 length bytes, topic length and topic, packet id.
    const overhead = 1 + 3 + 2 + Buffer.byteLength(topic) + 2;
    const limit = TERMINAL_MAX_PACKET_BYTES;
    const sizes = fc.sample(fc.integer({ min: limit - overhead - 2048, max: limit - overhead + 2048 }), {
      numRuns: 24,
      seed: 20261130,
    });
    sizes.push(limit - overhead, limit - overhead + 1);
    const rss = process.memoryUsage().rss;
    for (const size of sizes) {
      const own = await server.terminalClient();
      const answers: unknown[] = [];
      own.on('message', (_topic, payload) => answers.push(JSON.parse(payload.toString())));
      await own.subscribeAsync(`ccus/v1/t/${server.terminalId}/ack`, { qos: 1 });
      const closed = new Promise<'closed'>((resolve) => own.stream.once('close', () => resolve('closed')));
      own.publish(topic, Buffer.alloc(size, '['), { qos: 1 });
      if (size + overhead <= limit) {
        await waitFor(`an answer to ${size} bytes`, () => answers.length === 1);
        expect(answers[0]).toMatchObject({ error: { code: expect.stringMatching(/^(malformed|too_large)$/) } });
        own.end(true);
      } else {
        expect(await closed).toBe('closed');
        expect(answers).toEqual([]);
      }
    }
    // What was kept of the refused ones: their first 4 KiB, never the whole payload.
    expect(server.store.quarantineLog.all().every((q) => q.head.length <= 4096)).toBe(true);
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);

    const sender = await BatchSender.connect(server.url, server.terminalId, server.terminalPassword);
    const worker = server.workers[0] as (typeof server.workers)[number];
    const ack = await sender.send([{ ...worker, direction: 'in', at: new Date().toISOString() }]);
    expect(ack).toMatchObject({ error: null, accepted: { from: 1, to: 1 } });
    await sender.close();
  });
});
