import { createServer, type Server, type Socket } from 'node:net';
import { MqttIngest } from '@ccus-gate/server';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Ingest starting while its broker cannot answer yet: a broker that is not up, or one that took
 * the connection and says nothing (overloaded, or a proxy in front with the broker behind it
 * down). The server must come up anyway and join later (tests/system/broker-late.test.ts runs
 * `serve` before Mosquitto); only a broker that refuses it stops it.
 */
describe('ingest starting before its broker answers', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  let silent: Server;
  const sockets: Socket[] = [];
  let url = '';

  beforeEach(async () => {
    dir = tempDir('ingest-start');
    f = apiFixture(dir.path);
    // Takes connections and never answers a CONNECT.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(silent.address() as { port: number }).port}`;
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    f.close();
    dir.remove();
  });

  it('starts when the broker takes the connection but does not answer, and says it is not connected', async () => {
    const lines: { msg: string; level: number }[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const ingest = new MqttIngest(
      { url, username: 'ccus-gate-server', password: 'x', connectTimeoutMs: 300 },
      { stores: f.store, log, now: () => f.now.value },
    );
    await ingest.start();
    expect(ingest.connected).toBe(false);
    expect(sockets.length).toBeGreaterThan(0);
    // It keeps trying, and says so once.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(sockets.length).toBeGreaterThan(1);
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual(['broker not reachable; trying again every second']);
    await ingest.stop();
  });
});
