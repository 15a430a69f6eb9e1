import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchSender } from '../support/batch-sender.js';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

/** The varint MQTT writes a packet's remaining length in. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** A QoS 0 PUBLISH's first bytes: header, topic, and `body` bytes of a payload that says it is `size` long. */
function publishHead(topic: string, size: number, body: Buffer): Buffer {
  const name = Buffer.from(topic);
  const variable = Buffer.concat([Buffer.from([name.length >> 8, name.length & 0xff]), name]);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(variable.length + size), variable, body]);
}

const closed = (client: MqttClient): Promise<void> =>
  new Promise((resolve) => client.stream.once('close', () => resolve()));

/** The embedded broker's packet limit, over real sockets, with a terminal's own credentials. */
describe('MQTT packet limit (embedded broker)', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: SyncServerHarness;

  beforeEach(async () => {
    dir = tempDir('mqtt-packet-limit');
    server = await startSyncServer(dir.path);
  });
  afterEach(async () => {
    await server.close();
    dir.remove();
  });

  it('closes a terminal that announces a 100 MiB packet before reading its body, and stores nothing of it', async () => {
    const client = await server.terminalClient();
    const gone = closed(client);
    const before = server.store.quarantineLog.all().length;
    const rss = process.memoryUsage().rss;
    client.stream.write(publishHead(`ccus/v1/t/${server.terminalId}/taps`, 100 * 1024 * 1024, Buffer.alloc(64 * 1024)));
    await gone;
    expect(server.store.quarantineLog.all().length).toBe(before);
    expect(process.memoryUsage().rss - rss).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses a terminal a packet a little over its largest message (a tap batch), whole', async () => {
    const client = await server.terminalClient();
    const gone = closed(client);
    client.publish(`ccus/v1/t/${server.terminalId}/taps`, Buffer.alloc(300 * 1024, 'x'), { qos: 1 });
    await gone;
    expect(server.store.quarantineLog.all()).toEqual([]);
  });

  it('passes a junk payload just under the limit to ingest, which refuses it and keeps its first 4 KiB', async () => {
    const client = await server.terminalClient();
    const acks: { error: { code: string } | null }[] = [];
    client.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString())));
    await client.subscribeAsync(`ccus/v1/t/${server.terminalId}/ack`, { qos: 1 });
    const junk = Buffer.alloc(250 * 1024, '{');
    await client.publishAsync(`ccus/v1/t/${server.terminalId}/taps`, junk, { qos: 1 });
    await waitFor('the refusal', () => acks.length === 1);
    const [entry] = server.store.quarantineLog.all();
    expect(entry).toMatchObject({ size: junk.length, clientId: server.terminalId });
    expect(entry?.head.length).toBe(4096);
    client.end(true);
  });

  it('still takes a good batch from the same terminal after closing its oversized one', async () => {
    const first = await server.terminalClient();
    const gone = closed(first);
    first.stream.write(publishHead(`ccus/v1/t/${server.terminalId}/taps`, 20 * 1024 * 1024, Buffer.alloc(1024)));
    await gone;
    const sender = await BatchSender.connect(server.url, server.terminalId, server.terminalPassword);
    const worker = server.workers[0] as (typeof server.workers)[number];
    const ack = await sender.send([{ ...worker, direction: 'in', at: new Date().toISOString() }]);
    expect(ack).toMatchObject({ accepted: { from: 1, to: 1 }, error: null });
    expect(server.store.taps.count(server.terminalId)).toBe(1);
    await sender.close();
  });

  it('lets the server itself publish a roster-sized message to a terminal', async () => {
    const client = await server.terminalClient();
    const got: number[] = [];
    client.on('message', (_topic, payload) => got.push(payload.length));
    await client.subscribeAsync(`ccus/v1/t/${server.terminalId}/roster`, { qos: 1 });
    const service = await connectAsync(
      server.url,
      { clientId: 'svc-test', ...server.service, protocolVersion: 4, reconnectPeriod: 0 },
      false,
    );
    await service.publishAsync(`ccus/v1/t/${server.terminalId}/roster`, Buffer.alloc(4 * 1024 * 1024, ' '), {
      qos: 1,
    });
    await waitFor('the roster-sized message', () => got.includes(4 * 1024 * 1024));
    service.end(true);
    client.end(true);
  });
});
