import { parseTerminalId } from '@ccus-gate/protocol';
import { type EmbeddedBroker, type ServerStore, startEmbeddedBroker } from '@ccus-gate/server';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeWithSite } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

describe('embedded broker: a terminal speaks only for itself', () => {
  const dir = tempDir('acl');
  let store: ServerStore;
  let broker: EmbeddedBroker;
  let secretA: string;
  const clients: MqttClient[] = [];
  const a = parseTerminalId('gate-a1');
  const b = parseTerminalId('gate-b1');

  async function connected(options: IClientOptions): Promise<MqttClient> {
    // No retries: a refused or dropped connection rejects, and the client is ended.
    const client = await connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0, ...options }, false);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    const seeded = storeWithSite(dir.path);
    store = seeded.store;
    const site = seeded.siteId;
    secretA = store.directory.createTerminal({ terminalId: a, tenantId: 't1', siteId: site });
    store.directory.createTerminal({ terminalId: b, tenantId: 't1', siteId: site });
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      stores: store,
      service: { username: 'svc', password: 'svc-secret' },
      log: pino({ level: 'silent' }),
    });
  });

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await broker.close();
    store.close();
    dir.remove();
  });

  it('refuses a wrong password and a client id that is not the terminal id', async () => {
    await expect(connected({ clientId: a, username: a, password: 'wrong' })).rejects.toThrow(
      /Bad username or password|Connection refused/i,
    );
    await expect(connected({ clientId: 'someone-else', username: a, password: secretA })).rejects.toThrow();
  });

  it('grants subscriptions on its own branch and refuses another terminal’s', async () => {
    const client = await connected({ clientId: a, username: a, password: secretA });
    const own = await client.subscribeAsync(`ccus/v1/t/${a}/ack`, { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    // The broker answers SUBACK 0x80 (failure); MQTT.js turns that into a rejection.
    await expect(client.subscribeAsync(`ccus/v1/t/${b}/ack`, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(client.subscribeAsync('ccus/v1/t/+/ack', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(client.subscribeAsync(`ccus/v1/t/${a}/#`, { qos: 1 })).rejects.toThrow(/Subscribe error/);
  });

  it('refuses a publish on another terminal’s branch and quarantines it with its bytes', async () => {
    const service = await connected({ clientId: 'svc-watch', username: 'svc', password: 'svc-secret' });
    const seen: string[] = [];
    await service.subscribeAsync('ccus/v1/t/+/taps', { qos: 1 });
    service.on('message', (topic) => seen.push(topic));

    const client = await connected({ clientId: a, username: a, password: secretA });
    client.publish(`ccus/v1/t/${b}/taps`, Buffer.from('{"forged":true}'), { qos: 1 });
    const entry = await waitFor('the quarantine entry', () => store.quarantineLog.all().find((q) => q.clientId === a));
    expect(entry).toMatchObject({ topic: `ccus/v1/t/${b}/taps`, code: 'not_permitted' });
    expect(entry.head.toString()).toBe('{"forged":true}');
    expect(entry.size).toBe(15);
    expect(entry.reason).toContain(`may not publish for ${b}`);
    // Terminals may not publish on server leaves of their own branch either.
    expect(seen).toEqual([]);
  });
});
