import { SerialPortStream } from '@serialport/stream';
import type { SerialPortMock } from 'serialport';
import type { OpenPort, SerialLink } from '../drivers/serial-port.js';
import { type MockPortBinding, mockDeviceBinding } from './mock-device.js';

/**
 * A serial QR scanner at the far end of serialport's mock binding: it sends what a real one
 * sends when a code is held in front of it, the decoded text and a line ending, byte for
 * byte. Scriptable: any bytes (noise, a code with no ending), split writes, and the USB
 * scanner pulled out and plugged back in.
 */
export class FakeQrScanner {
  readonly path: string;
  readonly binding: typeof SerialPortMock.binding;
  /** How many times the host opened the port. */
  opens = 0;
  #unplugged = false;
  #open: MockPortBinding | null = null;

  constructor(path = '/dev/fake-qr') {
    this.path = path;
    this.binding = mockDeviceBinding(path, {
      opened: (port) => {
        this.#open = port;
        this.opens++;
      },
      unplugged: () => this.#unplugged,
    });
  }

  /** Opens the mock port the way `openSerialPort` opens a real one: give it to the driver as `openPort`. */
  readonly openPort: OpenPort = async ({ path, baudRate }) => {
    const port = new SerialPortStream({ binding: this.binding, path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return port as unknown as SerialLink;
  };

  /** A code held in front of the scanner: its text, then the line ending the scanner is set to send. */
  scan(text: string, ending: '\r' | '\n' | '\r\n' = '\r'): void {
    this.send(Buffer.from(`${text}${ending}`, 'utf8'));
  }

  /** Raw bytes from the scanner, as one read or (`split`) a few bytes at a time. */
  send(bytes: Buffer, split = false): void {
    const port = this.#open;
    if (port === null || this.#unplugged) throw new Error(`${this.path} is not open`);
    if (!split) {
      port.emitData(bytes);
      return;
    }
    for (let i = 0; i < bytes.length; i += 3) port.emitData(bytes.subarray(i, i + 3));
  }

  get isOpen(): boolean {
    return this.#open !== null && !this.#unplugged;
  }

  /** The USB scanner pulled out: the open port fails and cannot be opened again until `replug`. */
  unplug(): void {
    this.#unplugged = true;
    const port = this.#open as unknown as { pendingRead: ((error?: Error) => void) | null } | null;
    this.#open = null;
    port?.pendingRead?.(new Error('device unplugged'));
  }

  replug(): void {
    this.#unplugged = false;
  }
}
