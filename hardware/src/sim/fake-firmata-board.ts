import { SerialPortStream } from '@serialport/stream';
import type { SerialPortMock } from 'serialport';
import { FakeLcdBackpack } from './fake-lcd-backpack.js';
import { type MockPortBinding, mockDeviceBinding } from './mock-device.js';

const REPORT_VERSION = 0xf9;
const START_SYSEX = 0xf0;
const END_SYSEX = 0xf7;
const QUERY_FIRMWARE = 0x79;
const CAPABILITY_QUERY = 0x6b;
const CAPABILITY_RESPONSE = 0x6c;
const ANALOG_MAPPING_QUERY = 0x69;
const ANALOG_MAPPING_RESPONSE = 0x6a;
const I2C_REQUEST = 0x76;
const DIGITAL_MESSAGE = 0x90;
/** Pins of an Arduino Uno: 0–13 digital, 14–19 analog (A4 and A5 are I2C). */
const PINS = 20;

/**
 * An Arduino running StandardFirmata at the far end of serialport's mock binding, with an
 * LCD backpack on its I2C bus: it says its version and firmware when the port opens, answers
 * the capability and analog-mapping queries, keeps the digital pins the host sets, and hands
 * the bytes of each I2C write to the device at that address. The real firmata-io and
 * johnny-five talk to it byte for byte.
 */
export class FakeFirmataBoard {
  readonly path: string;
  readonly binding: typeof SerialPortMock.binding;
  readonly lcd: FakeLcdBackpack;
  readonly lcdAddress: number;
  /** The level of each digital pin the host wrote. */
  readonly pins = new Map<number, number>();
  #open: MockPortBinding | null = null;
  #incoming: number[] = [];

  constructor(path = '/dev/fake-firmata', options: { lcdAddress?: number; rows?: number; columns?: number } = {}) {
    this.path = path;
    this.lcdAddress = options.lcdAddress ?? 0x27;
    this.lcd = new FakeLcdBackpack(options);
    this.binding = mockDeviceBinding(path, {
      opened: (port) => {
        this.#open = port;
        // A board resets when its port opens, then introduces itself.
        setImmediate(() => {
          this.#send([REPORT_VERSION, 2, 5]);
          this.#send([START_SYSEX, QUERY_FIRMWARE, 2, 5, ...sevenBit(Buffer.from('StandardFirmata.ino')), END_SYSEX]);
        });
      },
      fromHost: (bytes) => this.#fromHost(bytes),
    });
  }

  /** A port on this board for firmata-io, as `new SerialPort({ path, baudRate })` gives one. */
  port(): SerialPortStream {
    return new SerialPortStream({ binding: this.binding, path: this.path, baudRate: 57_600 });
  }

  #send(bytes: number[]): void {
    this.#open?.emitData(Buffer.from(bytes));
  }

  #fromHost(bytes: Buffer): void {
    this.#incoming.push(...bytes);
    for (;;) {
      const first = this.#incoming[0];
      if (first === undefined) return;
      if (first === START_SYSEX) {
        const end = this.#incoming.indexOf(END_SYSEX);
        if (end < 0) return;
        this.#sysex(this.#incoming.slice(1, end));
        this.#incoming.splice(0, end + 1);
      } else if ((first & 0xf0) === DIGITAL_MESSAGE) {
        if (this.#incoming.length < 3) return;
        const [, lsb, msb] = this.#incoming as [number, number, number];
        const value = lsb | (msb << 7);
        for (let bit = 0; bit < 8; bit++) this.pins.set((first & 0x0f) * 8 + bit, (value >> bit) & 1);
        this.#incoming.splice(0, 3);
      } else if (first >= 0x80 && first < 0xf0) {
        // Pin mode, reporting and the like: two data bytes each, nothing to answer.
        if (this.#incoming.length < 3) return;
        this.#incoming.splice(0, 3);
      } else {
        this.#incoming.shift();
      }
    }
  }

  #sysex([command, ...data]: number[]): void {
    if (command === CAPABILITY_QUERY) {
      const pins: number[] = [];
      for (let pin = 0; pin < PINS; pin++) {
        // INPUT and OUTPUT everywhere; ANALOG on A0–A5; I2C on A4 and A5.
        pins.push(0x00, 1, 0x01, 1);
        if (pin >= 14) pins.push(0x02, 10);
        if (pin === 18 || pin === 19) pins.push(0x06, 1);
        pins.push(0x7f);
      }
      this.#send([START_SYSEX, CAPABILITY_RESPONSE, ...pins, END_SYSEX]);
    } else if (command === ANALOG_MAPPING_QUERY) {
      const channels = Array.from({ length: PINS }, (_, pin) => (pin >= 14 ? pin - 14 : 127));
      this.#send([START_SYSEX, ANALOG_MAPPING_RESPONSE, ...channels, END_SYSEX]);
    } else if (command === I2C_REQUEST) {
      const [address, mode, ...pairs] = data as [number, number, ...number[]];
      const write = ((mode >> 3) & 0x03) === 0;
      if (!write || address !== this.lcdAddress) return;
      for (let i = 0; i + 1 < pairs.length; i += 2)
        this.lcd.write((pairs[i] as number) | ((pairs[i + 1] as number) << 7));
    }
  }
}

function sevenBit(bytes: Buffer): number[] {
  return [...bytes].flatMap((byte) => [byte & 0x7f, byte >> 7]);
}
