import { z } from 'zod';
import { compileQrPattern } from './drivers/qr/qr-payload.js';
import { HardwareError } from './hardware-error.js';
import { DEFAULT_PATTERNS, type PatternName } from './patterns.js';

const BcmPin = z.int().min(0).max(27);
const Step = z.strictObject({
  on: z.array(z.enum(['green', 'red', 'buzzer', 'relay'])),
  ms: z.int().min(1).max(10_000),
});

const Pn532Reader = z.strictObject({
  driver: z.literal('pn532-uart'),
  name: z.string().min(1).max(16).default('pn532'),
  /** /dev/serial0 is the Pi's primary UART (GPIO 14/15); a USB adapter is /dev/ttyUSB0. */
  path: z.string().min(1).default('/dev/serial0'),
  baudRate: z.union([z.literal(115_200), z.literal(57_600), z.literal(9_600)]).default(115_200),
});
const PhysicalPin = z.int().min(1).max(40);
/** The RC522 on SPI through mfrc522-rpi and rpi-softspi, which number pins physically (1–40), as rpio does. */
const Rc522Reader = z.strictObject({
  driver: z.literal('rc522-spi'),
  name: z.string().min(1).max(16).default('rc522'),
  pins: z
    .strictObject({ clock: PhysicalPin, mosi: PhysicalPin, miso: PhysicalPin, cs: PhysicalPin })
    .default({ clock: 23, mosi: 19, miso: 21, cs: 24 }),
  resetPin: PhysicalPin.optional(),
});
/** A serial QR scanner for the 建キャリ app's worker QR code (drivers/qr). */
const QrSerialReader = z.strictObject({
  driver: z.literal('qr-serial'),
  name: z.string().min(1).max(16).default('qr'),
  /** /dev/ttyACM0 for a USB scanner in serial (CDC) mode; /dev/serial0 for one on the UART. */
  path: z.string().min(1).default('/dev/ttyACM0'),
  baudRate: z
    .union([z.literal(9_600), z.literal(19_200), z.literal(38_400), z.literal(57_600), z.literal(115_200)])
    .default(9_600),
  /** Where the worker ID is in the code, as a regular expression (its first group, or the whole match). */
  pattern: z
    .string()
    .min(1)
    .max(200)
    .refine((source) => typeof compileQrPattern(source) !== 'string', 'must be a regular expression')
    .optional(),
});
/** The RC522 on the kernel's SPI device: every Pi, the Pi 5 included (its GPIO is not rpio's). */
const Rc522SpidevReader = z.strictObject({
  driver: z.literal('rc522-spidev'),
  name: z.string().min(1).max(16).default('rc522'),
  /** /dev/spidev{bus}.{device}: 0.0 is SPI0 with CE0 (physical pin 24), enabled by dtparam=spi=on. */
  bus: z.int().min(0).max(6).default(0),
  device: z.int().min(0).max(3).default(0),
  speedHz: z.int().min(100_000).max(10_000_000).default(1_000_000),
});
const SimulatedReader = z.strictObject({
  driver: z.literal('simulated'),
  name: z.string().min(1).max(16).default('sim'),
  /** Card ids as hex lines on standard input, or none (fed by a function call). */
  input: z.enum(['stdin', 'none']).default('stdin'),
  /** Also take taps on POST http://127.0.0.1:{httpPort}/tap (0 picks a free port). */
  httpPort: z.int().min(0).max(65_535).optional(),
});

/** A character LCD (HD44780) on an I2C backpack, through johnny-five on the outputs' board. */
const LcdDisplay = z.strictObject({
  driver: z.literal('lcd-pcf8574'),
  controller: z.enum(['PCF8574', 'PCF8574A']).default('PCF8574'),
  /** The backpack's address: 0x27 (PCF8574) or 0x3F (PCF8574A) unless its jumpers are set. */
  address: z.int().min(0x20).max(0x3f).optional(),
  rows: z.union([z.literal(2), z.literal(4)]).default(2),
  columns: z.union([z.literal(16), z.literal(20)]).default(16),
});
const SimulatedDisplay = z.strictObject({
  driver: z.literal('simulated'),
  rows: z.int().min(1).max(8).default(2),
  columns: z.int().min(8).max(40).default(16),
});

/** A hardware profile: which reader(s) and outputs a build has, and on which pins. */
export const HardwareProfileSchema = z.strictObject({
  name: z.string().min(1).max(120),
  readers: z
    .array(
      z.discriminatedUnion('driver', [Pn532Reader, Rc522Reader, Rc522SpidevReader, QrSerialReader, SimulatedReader]),
    )
    .min(1)
    // Two card readers (one per direction) and a QR scanner.
    .max(3),
  outputs: z.discriminatedUnion('driver', [
    z.strictObject({
      driver: z.literal('gpio'),
      pins: z.strictObject({ green: BcmPin, red: BcmPin, buzzer: BcmPin, relay: BcmPin.optional() }),
      /** Outputs wired so that a low pin switches them on (many relay boards). */
      activeLow: z.array(z.enum(['green', 'red', 'buzzer', 'relay'])).default([]),
    }),
    z.strictObject({
      driver: z.literal('johnny-five'),
      /** A Firmata board (e.g. an Arduino running StandardFirmata) on a serial port, or the Pi's own GPIO. */
      io: z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('firmata'),
          path: z.string().min(1),
          baudRate: z.int().min(1200).max(1_000_000).default(57_600),
        }),
        z.strictObject({ kind: z.literal('pi-gpio') }),
      ]),
      /** The board's pin numbers (BCM for pi-gpio). */
      pins: z.strictObject({
        green: z.int().min(0).max(127),
        red: z.int().min(0).max(127),
        buzzer: z.int().min(0).max(127),
        relay: z.int().min(0).max(127).optional(),
      }),
      /** NO: the relay switches on high; NC: on low (many relay boards). */
      relayType: z.enum(['NO', 'NC']).default('NO'),
    }),
    z.strictObject({ driver: z.literal('simulated') }),
  ]),
  /** A display that says what each tap did (optional). */
  display: z.discriminatedUnion('driver', [LcdDisplay, SimulatedDisplay]).optional(),
  /** Replaces default feedback patterns by name. */
  patterns: z
    .partialRecord(z.enum(Object.keys(DEFAULT_PATTERNS) as [PatternName, ...PatternName[]]), z.array(Step).min(1))
    .default({}),
});

export type HardwareProfile = z.infer<typeof HardwareProfileSchema>;

/** Checks a profile; a HardwareError names every bad field with its value. */
export function parseHardwareProfile(input: unknown, source = 'hardware profile'): HardwareProfile {
  const result = HardwareProfileSchema.safeParse(input);
  if (result.success) {
    const outputs = result.data.outputs;
    const pins = outputs.driver === 'gpio' || outputs.driver === 'johnny-five' ? Object.entries(outputs.pins) : [];
    const seen = new Map<number, string>();
    for (const [role, pin] of pins) {
      if (pin === undefined) continue;
      const other = seen.get(pin);
      if (other !== undefined) {
        throw new HardwareError(
          'bad_profile',
          `${source}: outputs.pins.${role} uses BCM ${pin}, already used by ${other}`,
        );
      }
      seen.set(pin, role);
    }
    const display = result.data.display;
    if (display?.driver === 'lcd-pcf8574' && (outputs.driver !== 'johnny-five' || outputs.io.kind !== 'firmata')) {
      throw new HardwareError(
        'bad_profile',
        `${source}: display: an lcd-pcf8574 goes through johnny-five on the outputs' Firmata board (outputs.driver "johnny-five", io.kind "firmata"), which drives its I2C`,
      );
    }
    const names = result.data.readers.map((r) => r.name);
    if (new Set(names).size !== names.length) {
      throw new HardwareError('bad_profile', `${source}: readers need different names (${names.join(', ')})`);
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(profile)'}: ${issue.message}`);
  throw new HardwareError('bad_profile', `${source}: ${problems.join('; ')}`, { problems });
}
