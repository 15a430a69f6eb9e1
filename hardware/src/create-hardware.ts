import type { Readable } from 'node:stream';
import type { TextDisplay } from './display.js';
import type { GpioLineFactory } from './drivers/gpio/gpio-output.js';
import type { OpenPort } from './drivers/serial-port.js';
import { HardwareError } from './hardware-error.js';
import { type DigitalOutput, type Outputs, switchOutput } from './output.js';
import type { Pattern, PatternName } from './patterns.js';
import type { HardwareProfile } from './profile.js';
import type { CardReader } from './reader.js';
import { serveSimulatedReader } from './sim/reader-http.js';
import { SimulatedReader } from './sim/simulated-reader.js';

export interface Hardware {
  readers: CardReader[];
  outputs: Outputs;
  /** The display, when the profile has one. */
  display?: TextDisplay;
  patterns: Partial<Record<PatternName, Pattern>>;
  /**
   * Why the profile's lights, buzzer and relay could not be opened, when `outputsOptional` let
   * the readers run without them (outputs are then in the log only); null when they work.
   */
  outputsFault: HardwareError | null;
  /** Switches every output off and releases the pins. */
  close(): void;
}

export interface HardwareDeps {
  /** Where simulated readers read card lines from. */
  input?: Readable;
  /** Serial ports for PN532 readers and QR scanners; the real one (serialport) by default. */
  openPort?: OpenPort;
  /** The RC522's SPI, for tests: a module with createSpi (see FakeMfrc522). */
  rc522Spi?: Extract<import('./drivers/rc522/rc522-worker.js').Rc522WorkerData['spi'], { kind: 'module' }>;
  /** The RC522's kernel SPI device, for tests: a module with spi-device's openSync (see FakeMfrc522's openSync). */
  rc522Spidev?: { module: string; channel: string };
  /** A johnny-five IO plugin to use instead of the one the profile names (tests: mock Firmata). */
  j5Io?: object;
  /** GPIO lines; onoff by default. */
  gpio?: GpioLineFactory;
  /** sysfs GPIO root, for tests. */
  gpioRoot?: string;
  /** Simulated outputs report their changes here. */
  onOutput?: (output: string, on: boolean) => void;
  /** A simulated display reports each new screen here. */
  onDisplay?: (lines: string[]) => void;
  /**
   * Outputs that cannot be opened (a light board unplugged, pins the kernel does not offer)
   * leave the readers running with logged outputs, and say why in `outputsFault`, instead of
   * failing the whole. The gate's service wants this: a tap is still taken and kept. A self-test
   * does not.
   */
  outputsOptional?: boolean;
}

function simulatedOutput(name: string, onOutput: HardwareDeps['onOutput']): DigitalOutput {
  return switchOutput(name, (on) => onOutput?.(name, on));
}

/**
 * Builds the readers and outputs a profile names. A driver's module (and its native
 * library) is imported only when the profile names it, so a laptop never loads one it cannot run.
 */
export async function createHardware(profile: HardwareProfile, deps: HardwareDeps = {}): Promise<Hardware> {
  const readers: CardReader[] = [];
  const closers: (() => void)[] = [];
  for (const spec of profile.readers) {
    if (spec.driver === 'simulated') {
      const reader = new SimulatedReader(spec.name);
      if (spec.input === 'stdin') reader.feedLines(deps.input ?? process.stdin);
      if (spec.httpPort !== undefined) {
        const http = await serveSimulatedReader(reader, { port: spec.httpPort });
        closers.push(() => void http.close());
      }
      readers.push(reader);
    } else if (spec.driver === 'rc522-spi') {
      const { Rc522Reader } = await import('./drivers/rc522/rc522-reader.js');
      const { clock, mosi, miso, cs } = spec.pins;
      readers.push(
        new Rc522Reader({
          name: spec.name,
          spi: deps.rc522Spi ?? { kind: 'softspi', clock, mosi, miso, client: cs },
          ...(spec.resetPin === undefined ? {} : { resetPin: spec.resetPin }),
        }),
      );
    } else if (spec.driver === 'rc522-spidev') {
      const { Rc522Reader } = await import('./drivers/rc522/rc522-reader.js');
      const { bus, device, speedHz } = spec;
      readers.push(
        new Rc522Reader({
          name: spec.name,
          spi: {
            kind: 'spidev',
            bus,
            device,
            speedHz,
            ...(deps.rc522Spidev === undefined ? {} : { fake: deps.rc522Spidev }),
          },
        }),
      );
    } else if (spec.driver === 'qr-serial') {
      const { QrScanner } = await import('./drivers/qr/qr-scanner.js');
      const { openSerialPort } = await import('./drivers/serial-port.js');
      readers.push(
        new QrScanner({
          name: spec.name,
          path: spec.path,
          baudRate: spec.baudRate,
          openPort: deps.openPort ?? openSerialPort,
          ...(spec.pattern === undefined ? {} : { pattern: spec.pattern }),
        }),
      );
    } else {
      const { Pn532Reader } = await import('./drivers/pn532/pn532-reader.js');
      const { openSerialPort } = await import('./drivers/serial-port.js');
      readers.push(
        new Pn532Reader({
          name: spec.name,
          path: spec.path,
          baudRate: spec.baudRate,
          openPort: deps.openPort ?? openSerialPort,
        }),
      );
    }
  }

  let opened: { outputs: Outputs; display?: TextDisplay };
  let outputsFault: HardwareError | null = null;
  const outputClosers: (() => void)[] = [];
  try {
    opened = await openOutputs(profile, deps, outputClosers);
  } catch (error) {
    if (!(deps.outputsOptional && error instanceof HardwareError)) {
      for (const close of [...outputClosers, ...closers]) close();
      throw error;
    }
    // What did open is released: the pins go back to the kernel, switched off.
    for (const close of outputClosers) {
      try {
        close();
      } catch {
        // Already broken: the fault below says what.
      }
    }
    outputClosers.length = 0;
    outputsFault = error;
    opened = { outputs: simulatedOutputs(deps.onOutput) };
  }
  closers.push(...outputClosers);
  const { outputs, display } = opened;
  return {
    readers,
    outputs,
    ...(display === undefined ? {} : { display }),
    patterns: profile.patterns as Partial<Record<PatternName, Pattern>>,
    outputsFault,
    close() {
      for (const close of closers) close();
    },
  };
}

function simulatedOutputs(onOutput: HardwareDeps['onOutput']): Outputs {
  return {
    green: simulatedOutput('green', onOutput),
    red: simulatedOutput('red', onOutput),
    buzzer: simulatedOutput('buzzer', onOutput),
    relay: simulatedOutput('relay', onOutput),
  };
}

/** The profile's lights, buzzer, relay and display; each closer it adds releases what it opened. */
async function openOutputs(
  profile: HardwareProfile,
  deps: HardwareDeps,
  closers: (() => void)[],
): Promise<{ outputs: Outputs; display?: TextDisplay }> {
  let outputs: Outputs;
  let display: TextDisplay | undefined;
  if (profile.display?.driver === 'simulated') {
    const { SimulatedDisplay } = await import('./sim/simulated-display.js');
    const { rows, columns } = profile.display;
    display = new SimulatedDisplay({
      rows,
      columns,
      ...(deps.onDisplay === undefined ? {} : { onShow: deps.onDisplay }),
    });
  }
  if (profile.outputs.driver === 'simulated') {
    outputs = simulatedOutputs(deps.onOutput);
  } else if (profile.outputs.driver === 'johnny-five') {
    const spec = profile.outputs;
    const { createJohnnyFiveOutputs, openFirmataIo } = await import('./drivers/johnny-five/j5-outputs.js');
    const { openJohnnyFiveBoard } = await import('./drivers/johnny-five/j5-board.js');
    let io: object;
    if (deps.j5Io !== undefined) io = deps.j5Io;
    else if (spec.io.kind === 'firmata') io = await openFirmataIo(spec.io.path, spec.io.baudRate);
    else {
      const { PiGpioIo } = await import('./drivers/johnny-five/pi-gpio-io.js');
      const { onoffLineFactory } = await import('./drivers/gpio/gpio-output.js');
      const pi = new PiGpioIo(
        deps.gpio ?? (await onoffLineFactory()),
        deps.gpioRoot === undefined ? {} : { root: deps.gpioRoot },
      );
      closers.push(() => pi.close());
      io = pi;
    }
    const board = await openJohnnyFiveBoard(io);
    outputs = await createJohnnyFiveOutputs(board, { pins: spec.pins, relayType: spec.relayType });
    if (profile.display?.driver === 'lcd-pcf8574') {
      const { JohnnyFiveLcd } = await import('./drivers/lcd/j5-lcd.js');
      const { controller, rows, columns } = profile.display;
      const address = profile.display.address ?? (controller === 'PCF8574A' ? 0x3f : 0x27);
      const lcd = new JohnnyFiveLcd(board, { controller, address, rows, columns });
      closers.unshift(() => lcd.close());
      display = lcd;
    }
  } else {
    const { GpioOutput, onoffLineFactory } = await import('./drivers/gpio/gpio-output.js');
    const factory = deps.gpio ?? (await onoffLineFactory());
    const { pins, activeLow } = profile.outputs;
    const make = (role: 'green' | 'red' | 'buzzer' | 'relay', bcm: number): DigitalOutput => {
      const output = new GpioOutput(role, bcm, factory, {
        activeLow: activeLow.includes(role),
        ...(deps.gpioRoot === undefined ? {} : { root: deps.gpioRoot }),
      });
      closers.push(() => output.close());
      return output;
    };
    outputs = {
      green: make('green', pins.green),
      red: make('red', pins.red),
      buzzer: make('buzzer', pins.buzzer),
      ...(pins.relay === undefined ? {} : { relay: make('relay', pins.relay) }),
    };
  }
  return display === undefined ? { outputs } : { outputs, display };
}
