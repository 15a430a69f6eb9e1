import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { startEmbeddedBroker } from '@ccus-gate/server';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeWithSite } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The broker's warnings mean what they say: a connection that ends, or a broker that stops,
 * is not "an oversized packet" (the demo printed that at every Ctrl-C).
 */
describe("the embedded broker's log", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('broker-log');
  });
  afterEach(() => dir.remove());

  it('says "oversized packet" of an oversized packet only, not when clients leave or the broker stops', async () => {
    const lines: { msg: string }[] = [];
    const log = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as { msg: string });
          done();
        },
      }),
    );
    const { store } = storeWithSite(dir.path);
    const service = { username: 'ccus-gate-server', password: 's'.repeat(32) };
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, stores: store, service, log });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const leaving = await connectAsync(url, { ...service, clientId: 'leaving', reconnectPeriod: 0 });
    await leaving.endAsync();
    const cut = await connectAsync(url, { ...service, clientId: 'cut', reconnectPeriod: 0 });
    cut.stream.destroy();
    await connectAsync(url, { ...service, clientId: 'staying', reconnectPeriod: 0 });
    // And one that does announce a 256 MiB packet: that one is said, once.
    const raw = connect(broker.port, '127.0.0.1');
    raw.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]));
    await new Promise((resolve) => raw.once('close', resolve));
    await broker.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    store.close();
    expect(lines.filter((line) => line.msg.includes('oversized'))).toHaveLength(1);
  });
});
