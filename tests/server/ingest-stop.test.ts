import { createServer, type Server } from 'node:net';
import { MqttIngest } from '@ccus-gate/server';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * A server stopping (systemd's SIGTERM, an upgrade) while something it published waits for the
 * broker's acknowledgement: mqtt.js's graceful end waits for every one, and one that never
 * comes kept the process from ever exiting (seen in the scale-out benchmark). The stop waits a
 * moment for them, then ends the connection anyway.
 */
describe('ingest stopping with a publish the broker never acknowledges', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  let broker: Aedes;
  let listener: Server;
  let url = '';

  beforeEach(async () => {
    dir = tempDir('ingest-stop');
    f = apiFixture(dir.path);
    // A broker that takes the server's publishes and never acknowledges them.
    broker = await Aedes.createBroker({ authorizePublish: () => undefined });
    listener = createServer(broker.handle);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(listener.address() as { port: number }).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    f.close();
    dir.remove();
  });

  it('stops within seconds, the connection ended', async () => {
    const ingest = new MqttIngest(
      { url, username: 'ccus-gate-server', password: 'x' },
      { stores: f.store, log: pino({ level: 'silent' }), now: () => f.now.value },
    );
    await ingest.start();
    await ingest.publishConfig(f.a.terminalId);
    let stopped = false;
    const stopping = ingest.stop().then(() => {
      stopped = true;
    });
    await Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    expect(stopped).toBe(true);
    expect(broker.connectedClients).toBe(0);
  }, 40_000);
});
