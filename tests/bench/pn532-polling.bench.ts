import { Pn532Reader } from '@ccus-gate/hardware';
import { FakePn532 } from '@ccus-gate/hardware/testing';
import { type Benchmark, figure, percentile } from './harness.js';

const PRESENTATIONS = 200;

/**
 * The PN532 polling loop against the byte-level fake: how many frames cross the line per
 * card read, and how long from a card entering the field to the `card` event, next to one
 * full poll cycle. The fake answers at once: on a real UART (115,200 baud, about 87 µs a
 * byte) and RF, each round trip adds a few milliseconds.
 */
export const benchmark: Benchmark = {
  name: 'pn532-polling',
  description: `${PRESENTATIONS} card presentations (FeliCa and MIFARE in turn) on the PN532 driver polling a fake PN532 over serialport's mock binding, with the default poll timing.`,
  async run() {
    const fake = new FakePn532('/dev/bench-pn532');
    const reader = new Pn532Reader({ path: fake.path, openPort: fake.openPort });
    const latencies: number[] = [];
    const frames: number[] = [];
    await reader.start();

    // Raw: one command's round trip, measured through the same fake and port.
    const roundTrips: number[] = [];
    const probe = new FakePn532('/dev/bench-pn532-probe');
    const port = await probe.openPort({ path: probe.path, baudRate: 115_200 });
    const { encodeCommand } = await import('@ccus-gate/hardware');
    for (let i = 0; i < PRESENTATIONS; i++) {
      if (i === 0) port.write(Buffer.from([0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      const started = performance.now();
      let received = 0;
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer): void => {
          received += chunk.length;
          // ACK (6 bytes) and the 13-byte answer.
          if (received >= 19) {
            port.off('data', onData);
            resolve();
          }
        };
        port.on('data', onData);
        port.write(encodeCommand(0x02));
      });
      roundTrips.push(performance.now() - started);
    }
    await new Promise<void>((resolve) => port.close(() => resolve()));

    for (let i = 0; i < PRESENTATIONS; i++) {
      const sentBefore = reader.stats.framesSent;
      const seen = new Promise<void>((resolve) => reader.once('card', () => resolve()));
      const started = performance.now();
      if (i % 2 === 0) fake.presentFelica(`012E4CD3A1B2${i.toString(16).padStart(4, '0').toUpperCase()}`);
      else fake.presentMifare(`04A2${i.toString(16).padStart(4, '0').toUpperCase()}`);
      await seen;
      latencies.push(performance.now() - started);
      frames.push(reader.stats.framesSent - sentBefore);
      fake.removeCards();
      await new Promise<void>((resolve) => reader.once('removed', () => resolve()));
    }
    await reader.stop();
    // The worst a card can wait is one full cycle of polls: each mode's round trip and the pause after it.
    const cycle = (p: number): number => 3 * (percentile(roundTrips, p) + 30);
    return [
      figure('card in field → event p50', percentile(latencies, 50), 'ms', {
        metric: 'one poll cycle (3 modes) p50',
        value: cycle(50),
        unit: 'ms',
      }),
      figure('card in field → event p99', percentile(latencies, 99), 'ms', {
        metric: 'one poll cycle (3 modes) p99',
        value: cycle(99),
        unit: 'ms',
      }),
      figure('host frames per card read, mean', frames.reduce((a, b) => a + b, 0) / frames.length, 'frames', {
        metric: 'poll modes per cycle',
        value: 3,
        unit: 'frames',
      }),
      figure('command round trip on the fake, p50', percentile(roundTrips, 50), 'ms', {
        metric: 'same, p99',
        value: percentile(roundTrips, 99),
        unit: 'ms',
      }),
    ];
  },
};
