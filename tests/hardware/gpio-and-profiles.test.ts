import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CardEvent,
  type CardReader,
  createHardware,
  DEFAULT_PATTERNS,
  type GpioLineFactory,
  GpioOutput,
  type Hardware,
  HardwareError,
  PatternPlayer,
  parseHardwareProfile,
  sysfsNumber,
} from '@ccus-gate/hardware';
import { FakePn532 } from '@ccus-gate/hardware/testing';
import { HARDWARE_PROFILES } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait.js';

const PROFILES = resolve(dirname(fileURLToPath(import.meta.url)), '../../hardware/profiles');

/** A /sys/class/gpio with the chips a Pi of that model shows on Raspberry Pi OS Bookworm. */
function fakeSysfs(root: string, chips: { label: string; base: number; ngpio: number }[]): string {
  for (const chip of chips) {
    const dir = join(root, `gpiochip${chip.base}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'label'), `${chip.label}\n`);
    writeFileSync(join(dir, 'base'), `${chip.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${chip.ngpio}\n`);
  }
  return root;
}

/** GPIO lines that record every write with the (fake) time. */
function recordingLines(now: () => number): {
  factory: GpioLineFactory;
  writes: { sysfs: number; value: 0 | 1; at: number }[];
  opened: { sysfs: number; activeLow: boolean }[];
} {
  const writes: { sysfs: number; value: 0 | 1; at: number }[] = [];
  const opened: { sysfs: number; activeLow: boolean }[] = [];
  return {
    writes,
    opened,
    factory: (sysfs, { activeLow }) => {
      opened.push({ sysfs, activeLow });
      return { writeSync: (value) => writes.push({ sysfs, value, at: now() }), unexport: () => {} };
    },
  };
}

/** Starts the hardware's first reader and puts a FeliCa card on the fake: what the reader read. */
async function readFelica(
  hardware: Hardware,
  fake: FakePn532,
  idm: string,
): Promise<{ reader: CardReader; card: CardEvent }> {
  const [reader] = hardware.readers;
  if (reader === undefined) throw new Error('no reader');
  const cards: CardEvent[] = [];
  reader.on('card', (card) => cards.push(card));
  reader.on('error', () => {});
  await reader.start();
  fake.presentFelica(idm);
  const card = await waitFor('the card', () => cards[0]);
  return { reader, card };
}

describe('GPIO outputs', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('gpio');
  });
  afterEach(() => {
    vi.useRealTimers();
    dir.remove();
  });

  it('maps BCM pins to sysfs numbers from the header chip base: 512 on a Pi 4, 571 on a Pi 5, 0 on old kernels', () => {
    const pi4 = fakeSysfs(join(dir.path, 'pi4'), [
      { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
      { label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
    ]);
    const pi5 = fakeSysfs(join(dir.path, 'pi5'), [
      { label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
      { label: 'pinctrl-rp1', base: 571, ngpio: 54 },
    ]);
    const old = fakeSysfs(join(dir.path, 'old'), [{ label: 'pinctrl-bcm2835', base: 0, ngpio: 54 }]);
    expect([sysfsNumber(17, pi4), sysfsNumber(17, pi5), sysfsNumber(17, old)]).toEqual([529, 588, 17]);
  });

  it('says what is wrong when there is no Pi GPIO, a pin is off the header, or access is denied', () => {
    expect(() => sysfsNumber(17, join(dir.path, 'none'))).toThrow(/has no GPIO chips/);
    const other = fakeSysfs(join(dir.path, 'other'), [{ label: 'gpio-mockup-A', base: 0, ngpio: 8 }]);
    expect(() => sysfsNumber(17, other)).toThrow(/no Raspberry Pi header GPIO chip .*gpio-mockup-A/);
    expect(() => sysfsNumber(40, other)).toThrow(HardwareError);
    const pi4 = fakeSysfs(join(dir.path, 'pi4'), [{ label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }]);
    const denied: GpioLineFactory = () => {
      throw Object.assign(new Error('EACCES: permission denied, open /sys/class/gpio/export'), { code: 'EACCES' });
    };
    expect(() => new GpioOutput('relay', 23, denied, { root: pi4 })).toThrow(
      expect.objectContaining({
        code: 'gpio_denied',
        message: expect.stringMatching(/relay on BCM 23 \(sysfs 535\).*gpio group/),
      }),
    );
  });

  it('drives the pins of a profile with the exact on/off sequence of a pattern', async () => {
    vi.useFakeTimers();
    const root = fakeSysfs(join(dir.path, 'pi4'), [{ label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }]);
    const lines = recordingLines(() => Date.now());
    const profile = parseHardwareProfile(JSON.parse(readFileSync(join(PROFILES, 'pi-pn532-uart.json'), 'utf8')));
    const fake = new FakePn532('/dev/profile-gpio-pn532');
    const hardware = await createHardware(profile, { gpio: lines.factory, gpioRoot: root, openPort: fake.openPort });
    // green 17, red 27, buzzer 22, relay 23 (active low) on a Pi 4.
    expect(lines.opened).toEqual([
      { sysfs: 529, activeLow: false },
      { sysfs: 539, activeLow: false },
      { sysfs: 534, activeLow: false },
      { sysfs: 535, activeLow: true },
    ]);
    lines.writes.length = 0;
    const start = Date.now();
    const player = new PatternPlayer(hardware.outputs, DEFAULT_PATTERNS);
    const done = player.play('entry');
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
    expect(lines.writes.map((w) => [w.sysfs, w.value, w.at - start])).toEqual([
      [529, 1, 0],
      [534, 1, 0],
      [535, 1, 0],
      [534, 0, 120],
      [529, 0, 720],
      [535, 0, 720],
    ]);
    hardware.close();
  });

  it('for the gate service, keeps the reader when the lights cannot be opened, and says why; otherwise refuses', async () => {
    // A light board whose relay line the kernel refuses: green, red and buzzer opened first.
    const root = fakeSysfs(join(dir.path, 'pi4'), [{ label: 'pinctrl-bcm2711', base: 512, ngpio: 58 }]);
    const lines = recordingLines(() => Date.now());
    const unexported: number[] = [];
    const factory: GpioLineFactory = (sysfs, options) => {
      if (sysfs === 535) throw Object.assign(new Error('EBUSY: resource busy, write'), { code: 'EBUSY' });
      const line = lines.factory(sysfs, options);
      return { ...line, unexport: () => unexported.push(sysfs) };
    };
    const profile = parseHardwareProfile(JSON.parse(readFileSync(join(PROFILES, 'pi-pn532-uart.json'), 'utf8')));
    const fake = new FakePn532('/dev/serial0');

    await expect(createHardware(profile, { gpio: factory, gpioRoot: root, openPort: fake.openPort })).rejects.toThrow(
      /relay on BCM 23 \(sysfs 535\): EBUSY/,
    );
    expect(unexported).toEqual([529, 539, 534]);

    unexported.length = 0;
    lines.writes.length = 0;
    const outputs: string[] = [];
    const hardware = await createHardware(profile, {
      gpio: factory,
      gpioRoot: root,
      openPort: fake.openPort,
      outputsOptional: true,
      onOutput: (name, on) => outputs.push(`${name} ${on}`),
    });
    expect(hardware.outputsFault).toMatchObject({ code: 'gpio_unavailable', message: expect.stringMatching(/relay/) });
    // The lines that did open were switched off and handed back; the pattern goes to the log.
    expect(unexported).toEqual([529, 539, 534]);
    expect(lines.writes.every((write) => write.value === 0)).toBe(true);
    hardware.outputs.green.set(true);
    expect(outputs).toEqual(['green true']);
    const { reader } = await readFelica(hardware, fake, '012E4CD3A1B2C3D4');
    await reader.stop();
    hardware.close();
    expect(unexported).toEqual([529, 539, 534]);
  });
});

describe('hardware profiles', () => {
  it('accepts the shipped profiles', () => {
    for (const file of ['pi-pn532-uart.json', 'pi-rc522-spi.json', 'pi-firmata.json', 'simulated.json']) {
      expect(() => parseHardwareProfile(JSON.parse(readFileSync(join(PROFILES, file), 'utf8')), file)).not.toThrow();
    }
  });

  it('refuses a profile with a pin used twice, an unknown driver or a pin off the header, naming the field', () => {
    const base = { name: 'x', readers: [{ driver: 'simulated' }] };
    expect(() =>
      parseHardwareProfile(
        { ...base, outputs: { driver: 'gpio', pins: { green: 17, red: 17, buzzer: 22 } } },
        'x.json',
      ),
    ).toThrow(/x\.json: outputs\.pins\.red uses BCM 17, already used by green/);
    expect(() =>
      parseHardwareProfile({ ...base, readers: [{ driver: 'acr122u' }], outputs: { driver: 'simulated' } }),
    ).toThrow(/readers\.0\.driver/);
    expect(() =>
      parseHardwareProfile({ ...base, outputs: { driver: 'gpio', pins: { green: 40, red: 27, buzzer: 22 } } }),
    ).toThrow(/outputs\.pins\.green/);
  });

  it('builds a PN532 reader from a profile that reads cards through the port it opens', async () => {
    const fake = new FakePn532('/dev/profile-pn532');
    const profile = parseHardwareProfile({
      name: 'usb pn532, simulated outputs',
      readers: [{ driver: 'pn532-uart', name: 'gate', path: fake.path }],
      outputs: { driver: 'simulated' },
    });
    const hardware = await createHardware(profile, { openPort: fake.openPort });
    const { reader, card } = await readFelica(hardware, fake, '012E4CD3A1B2C3D4');
    expect(card).toMatchObject({ tech: 'felica', id: '012E4CD3A1B2C3D4', reader: 'gate' });
    expect(reader.info()).toEqual({ model: 'PN532', firmware: '1.6' });
    await reader.stop();
  });
});

describe('the hardware profiles the server offers', () => {
  it('are the profiles shipped in hardware/profiles, no more and no fewer', () => {
    const shipped = readdirSync(new URL('../../hardware/profiles/', import.meta.url))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace(/\.json$/, ''))
      .sort();
    expect([...HARDWARE_PROFILES].sort()).toEqual(shipped);
  });
});
