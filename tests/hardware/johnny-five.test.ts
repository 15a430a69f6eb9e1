import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  createHardware,
  DEFAULT_PATTERNS,
  type GpioLineFactory,
  PatternPlayer,
  parseHardwareProfile,
} from '@ccus-gate/hardware';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const require = createRequire(import.meta.url);
const { Firmata: MockFirmata } = require('mock-firmata') as {
  Firmata: new () => NodeJS.EventEmitter & { digitalWrite(pin: number, value: number): void };
};

/** A mock Firmata board whose digital writes are recorded in order. */
function recordingFirmata(): { io: object; writes: [number, number][] } {
  const io = new MockFirmata();
  const writes: [number, number][] = [];
  const write = io.digitalWrite.bind(io);
  io.digitalWrite = (pin, value) => {
    writes.push([pin, value]);
    write(pin, value);
  };
  // A real board announces itself once Firmata answers; the mock is told to.
  setImmediate(() => {
    io.emit('connect');
    io.emit('ready');
  });
  return { io, writes };
}

describe('johnny-five outputs', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('j5');
  });
  afterEach(() => dir.remove());

  it('plays a pattern on Firmata pins through Led and Relay components, the relay closing only while the gate opens', async () => {
    const { io, writes } = recordingFirmata();
    const profile = parseHardwareProfile({
      name: 'arduino with a turnstile relay',
      readers: [{ driver: 'simulated', input: 'none' }],
      outputs: {
        driver: 'johnny-five',
        io: { kind: 'firmata', path: '/dev/ttyACM0' },
        pins: { green: 13, red: 12, buzzer: 11, relay: 7 },
        relayType: 'NC',
      },
    });
    const hardware = await createHardware(profile, { j5Io: io });
    // The relay starts open: NC boards switch on low, so open is high.
    expect(writes).toEqual([[7, 1]]);
    writes.length = 0;
    await new PatternPlayer(hardware.outputs, DEFAULT_PATTERNS).play('entry');
    expect(writes).toEqual([
      [13, 1], // green on
      [11, 1], // buzzer on
      [7, 0], // relay closed: the gate opens
      [11, 0], // buzzer off after 120 ms
      [13, 0], // green off after 720 ms
      [7, 1], // relay open again
    ]);
    writes.length = 0;
    await new PatternPlayer(hardware.outputs, DEFAULT_PATTERNS).play('unknown');
    expect(writes.some(([pin]) => pin === 7)).toBe(false);
    hardware.close();
  });

  it("drives the Pi's own GPIO through our IO plugin, with BCM pins mapped to sysfs", async () => {
    const root = join(dir.path, 'gpio');
    mkdirSync(join(root, 'gpiochip512'), { recursive: true });
    writeFileSync(join(root, 'gpiochip512', 'label'), 'pinctrl-bcm2711\n');
    writeFileSync(join(root, 'gpiochip512', 'base'), '512\n');
    writeFileSync(join(root, 'gpiochip512', 'ngpio'), '58\n');
    const writes: [number, number][] = [];
    const gpio: GpioLineFactory = (sysfs) => ({
      writeSync: (value) => writes.push([sysfs, value]),
      unexport: () => {},
    });
    const profile = parseHardwareProfile({
      name: 'pi gpio through johnny-five',
      readers: [{ driver: 'simulated', input: 'none' }],
      outputs: { driver: 'johnny-five', io: { kind: 'pi-gpio' }, pins: { green: 17, red: 27, buzzer: 22, relay: 23 } },
    });
    const hardware = await createHardware(profile, { gpio, gpioRoot: root });
    writes.length = 0;
    hardware.outputs.green.set(true);
    hardware.outputs.relay?.set(true);
    hardware.outputs.relay?.set(false);
    expect(writes).toEqual([
      [529, 1],
      [535, 1],
      [535, 0],
    ]);
    hardware.close();
  });

  it('refuses a johnny-five profile with a pin used twice', () => {
    expect(() =>
      parseHardwareProfile({
        name: 'x',
        readers: [{ driver: 'simulated' }],
        outputs: { driver: 'johnny-five', io: { kind: 'pi-gpio' }, pins: { green: 5, red: 5, buzzer: 6 } },
      }),
    ).toThrow(/outputs\.pins\.red uses BCM 5, already used by green/);
  });
});
