import type { Duplex } from 'node:stream';
import { SerialPortStream } from '@serialport/stream';
import type { SerialPortMock } from 'serialport';
import type { Pn532Port } from '../drivers/pn532/pn532-reader.js';
import type { OpenPort } from '../drivers/serial-port.js';
import { type MockPortBinding, mockDeviceBinding } from './mock-device.js';

export interface FakeFelica {
  idm: string;
  pmm: string;
  systemCode: string;
}

export interface FakeMifare {
  uid: string;
  sak: number;
  atqa: number;
}

/**
 * A PN532 at the far end of serialport's mock binding, answering the host's bytes with the
 * bytes a real chip would send: ACK, then the answer frame. It decodes frames itself (not
 * with the driver's parser), so the two cannot share a misreading of the format.
 *
 * Scriptable: cards in and out of the field, silence, line noise, damaged or split answers,
 * NACKs, and the port unplugged and plugged back in.
 */
export class FakePn532 {
  readonly path: string;
  /** The binding to give SerialPortStream: the mock binding, with this chip on the far end. */
  readonly binding: typeof SerialPortMock.binding;
  felica: FakeFelica | null = null;
  mifare: FakeMifare | null = null;
  /** Answers nothing at all (a chip without power, or asleep and never woken). */
  silent = false;
  /** Bytes of noise sent before each of the next answers. */
  noise: number[] = [];
  /** How many answers to damage (a wrong data checksum) before answering properly again. */
  corruptNext = 0;
  /** How many commands to answer with a NACK instead of an ACK. */
  nackNext = 0;
  /** Send each answer a few bytes at a time, on separate turns of the event loop. */
  split = false;
  /** How many answers with a target to cut short (a card at the edge of the field), in valid frames. */
  truncateTargets = 0;
  /** A FeliCa card that only answers at this rate (212 or 424 kbps), or at both. */
  felicaRates: (212 | 424)[] = [212, 424];
  readonly stats = { framesFromHost: 0, commands: new Map<number, number>(), nacksFromHost: 0 };
  #unplugged = false;
  #awake = false;
  #open: Pick<MockPortBinding, 'isOpen' | 'emitData'> | null = null;
  #incoming: number[] = [];
  #lastAnswer: Buffer | null = null;
  #outgoing: Buffer = Buffer.alloc(0);
  #draining = false;

  constructor(path = '/dev/fake-pn532') {
    this.path = path;
    this.binding = mockDeviceBinding(path, {
      opened: (port) => {
        this.#open = port;
        this.#awake = false;
        this.#incoming = [];
      },
      fromHost: (bytes) => this.#fromHost(bytes),
      unplugged: () => this.#unplugged,
    });
  }

  /** Opens the mock port the way `openSerialPort` opens a real one: give it to the driver as `openPort`. */
  readonly openPort: OpenPort = async ({ path, baudRate }) => {
    const port = new SerialPortStream({ binding: this.binding, path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return port as unknown as Pn532Port;
  };

  /**
   * The chip at the far end of a byte stream instead of the mock binding: a socket to an
   * emulated machine's UART (tests/system/sd-image.test.ts), whose kernel driver and
   * serialport speak to it as to a real PN532. Detaches when the stream ends.
   */
  wire(stream: Duplex): void {
    const port = {
      get isOpen() {
        return !stream.destroyed && stream.writable;
      },
      emitData: (bytes: Buffer) => void stream.write(bytes),
    };
    this.#open = port;
    this.#awake = false;
    this.#incoming = [];
    stream.on('data', (bytes: Buffer) => {
      if (this.#open === port) this.#fromHost(bytes);
    });
    stream.on('close', () => {
      if (this.#open === port) this.#open = null;
    });
    stream.on('error', () => {});
  }

  /** Puts a FeliCa card in the field. */
  presentFelica(idm: string, options: Partial<Omit<FakeFelica, 'idm'>> = {}): void {
    this.felica = { idm, pmm: options.pmm ?? '0120220427674EFF', systemCode: options.systemCode ?? '0003' };
  }

  /** Puts a MIFARE card in the field (4-byte UID: SAK 08, ATQA 0004; 7-byte: ATQA 0044). */
  presentMifare(uid: string, options: Partial<Omit<FakeMifare, 'uid'>> = {}): void {
    this.mifare = { uid, sak: options.sak ?? 0x08, atqa: options.atqa ?? (uid.length > 8 ? 0x0044 : 0x0004) };
  }

  removeCards(): void {
    this.felica = null;
    this.mifare = null;
  }

  /** The USB serial adapter pulled out: the open port fails and cannot be opened again until `replug`. */
  unplug(): void {
    this.#unplugged = true;
    const port = this.#open as unknown as { pendingRead: ((error?: Error) => void) | null } | null;
    this.#open = null;
    // A read in progress fails the way the kernel fails it when the device node disappears.
    port?.pendingRead?.(new Error('device unplugged'));
  }

  replug(): void {
    this.#unplugged = false;
  }

  get awake(): boolean {
    return this.#awake;
  }

  #fromHost(bytes: Buffer): void {
    if (this.#unplugged) return;
    this.#incoming.push(...bytes);
    for (;;) {
      // Wake-up: 0x55 and idle bytes. Then frames: 00 00 FF LEN LCS D4 CMD … DCS 00, or a NACK.
      const start = this.#findStart();
      if (start < 0) return;
      const b = this.#incoming;
      if (b.length < start + 4) return;
      const len = b[start + 2] as number;
      const lcs = b[start + 3] as number;
      if (len === 0xff && lcs === 0x00) {
        this.#incoming = b.slice(start + 4);
        this.stats.nacksFromHost++;
        if (this.#lastAnswer !== null) this.#send(this.#lastAnswer, false);
        continue;
      }
      if (b.length < start + 4 + len + 2) return;
      const body = b.slice(start + 4, start + 4 + len);
      const dcs = b[start + 4 + len] as number;
      this.#incoming = b.slice(start + 4 + len + 2);
      this.stats.framesFromHost++;
      if (((len + lcs) & 0xff) !== 0 || (body.reduce((a, x) => a + x, 0) + dcs) % 256 !== 0) continue;
      if (body[0] !== 0xd4) continue;
      this.#command(body[1] as number, body.slice(2));
    }
  }

  #findStart(): number {
    const b = this.#incoming;
    for (let i = 0; i + 1 < b.length; i++) {
      if (b[i] === 0x55) this.#awake = true;
      if (b[i] === 0x00 && b[i + 1] === 0xff) return i;
    }
    // Keep only a possible start of a start code.
    this.#incoming = b.length > 0 && b[b.length - 1] === 0x00 ? [0x00] : [];
    return -1;
  }

  #command(code: number, params: number[]): void {
    this.stats.commands.set(code, (this.stats.commands.get(code) ?? 0) + 1);
    if (this.silent || !this.#awake) return;
    if (this.nackNext > 0) {
      this.nackNext--;
      this.#send(Buffer.from([0x00, 0x00, 0xff, 0xff, 0x00, 0x00]), false);
      return;
    }
    this.#send(Buffer.from([0x00, 0x00, 0xff, 0x00, 0xff, 0x00]), false);
    const answer = this.#answer(code, params);
    if (answer === null) return;
    this.#lastAnswer = answer;
    if (this.corruptNext > 0) {
      this.corruptNext--;
      const damaged = Buffer.from(answer);
      damaged[damaged.length - 2] = ((damaged[damaged.length - 2] as number) + 1) & 0xff;
      this.#send(damaged, true);
      return;
    }
    this.#send(answer, true);
  }

  #answer(code: number, params: number[]): Buffer | null {
    switch (code) {
      case 0x02: // GetFirmwareVersion: PN532 (0x32), firmware 1.6, supports ISO 14443A/B and 18092
        return frame([0x03, 0x32, 0x01, 0x06, 0x07]);
      case 0x14: // SAMConfiguration
        return frame([0x15]);
      case 0x32: // RFConfiguration
        return frame([0x33]);
      case 0x52: // InRelease
        return frame([0x53, 0x00]);
      case 0x4a: {
        const target = this.#listTarget(params[1] as number);
        if (target[0] === 0x01 && this.truncateTargets > 0) {
          this.truncateTargets--;
          return frame([0x4b, ...target.slice(0, 6)]);
        }
        return frame([0x4b, ...target]);
      }
      default: // Anything else: the application-level error frame.
        return Buffer.from([0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00]);
    }
  }

  #listTarget(baud: number): number[] {
    if (baud === 0x00 && this.mifare !== null) {
      const uid = bytes(this.mifare.uid);
      return [0x01, 0x01, this.mifare.atqa >> 8, this.mifare.atqa & 0xff, this.mifare.sak, uid.length, ...uid];
    }
    const rate = baud === 0x01 ? 212 : baud === 0x02 ? 424 : null;
    if (rate !== null && this.felica !== null && this.felicaRates.includes(rate)) {
      const pol = [0x01, ...bytes(this.felica.idm), ...bytes(this.felica.pmm), ...bytes(this.felica.systemCode)];
      return [0x01, 0x01, pol.length + 1, ...pol];
    }
    return [0x00];
  }

  #send(bytes: Buffer, answer: boolean): void {
    const port = this.#open;
    if (port === null || !port.isOpen) return;
    const prefix = answer && this.noise.length > 0 ? Buffer.from(this.noise) : Buffer.alloc(0);
    const all = Buffer.concat([prefix, bytes]);
    if (!this.split) {
      port.emitData(all);
      return;
    }
    // One wire: pieces of the ACK and of the answer after it never interleave.
    this.#outgoing = Buffer.concat([this.#outgoing, all]);
    if (this.#draining) return;
    this.#draining = true;
    const next = (): void => {
      if (this.#outgoing.length === 0 || !port.isOpen || this.#open !== port) {
        this.#draining = false;
        return;
      }
      port.emitData(this.#outgoing.subarray(0, 3));
      this.#outgoing = this.#outgoing.subarray(3);
      setImmediate(next);
    };
    next();
  }
}

function bytes(hexString: string): number[] {
  return [...Buffer.from(hexString, 'hex')];
}

/** A PN532-to-host normal information frame around a response (code and data). */
function frame(data: number[]): Buffer {
  const body = [0xd5, ...data];
  const len = body.length;
  const dcs = (0x100 - (body.reduce((a, x) => a + x, 0) & 0xff)) & 0xff;
  return Buffer.from([0x00, 0x00, 0xff, len, (0x100 - len) & 0xff, ...body, dcs, 0x00]);
}
