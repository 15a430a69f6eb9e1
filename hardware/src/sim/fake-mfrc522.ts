import { BroadcastChannel } from 'node:worker_threads';
import type { SpiDeviceLike } from '../drivers/rc522/spidev-spi.js';

/** ISO/IEC 14443-3 CRC_A (initial value 6363), as the MFRC522's coprocessor computes it: [low, high]. */
export function crcA(bytes: readonly number[]): [number, number] {
  let crc = 0x6363;
  for (const byte of bytes) {
    let b = (byte ^ (crc & 0xff)) & 0xff;
    b = (b ^ (b << 4)) & 0xff;
    crc = ((crc >> 8) ^ (b << 8) ^ (b << 3) ^ (b >> 4)) & 0xffff;
  }
  return [crc & 0xff, crc >> 8];
}

export interface FakeCard {
  uid: string;
  sak: number;
  atqa: number;
}

const REG = {
  Command: 0x01,
  CommIrq: 0x04,
  DivIrq: 0x05,
  Error: 0x06,
  FIFOData: 0x09,
  FIFOLevel: 0x0a,
  Control: 0x0c,
  BitFraming: 0x0d,
  TxControl: 0x14,
  CRCResultM: 0x21,
  CRCResultL: 0x22,
  Version: 0x37,
} as const;
const CMD = { idle: 0x00, calcCrc: 0x03, transceive: 0x0c, softReset: 0x0f } as const;

/** A MIFARE card in the field, speaking ISO/IEC 14443-3 activation: WUPA/REQA, anticollision and select at each cascade level, HLTA. */
class FakePicc {
  readonly #levels: number[][];
  readonly #sak: number;
  readonly #atqa: number;
  #state: 'idle' | 'ready' | 'active' | 'halt' = 'idle';

  constructor(card: FakeCard) {
    const uid = [...Buffer.from(card.uid, 'hex')];
    this.#levels =
      uid.length === 4
        ? [uid]
        : uid.length === 7
          ? [[0x88, ...uid.slice(0, 3)], uid.slice(3, 7)]
          : [[0x88, ...uid.slice(0, 3)], [0x88, ...uid.slice(3, 6)], uid.slice(6, 10)];
    this.#sak = card.sak;
    this.#atqa = card.atqa;
  }

  powerCycle(): void {
    this.#state = 'idle';
  }

  respond(frame: number[], lastBits: number): number[] | null {
    if (lastBits === 7 && frame.length === 1) {
      const wakes = frame[0] === 0x52 ? this.#state === 'idle' || this.#state === 'halt' : this.#state === 'idle';
      if ((frame[0] === 0x26 || frame[0] === 0x52) && wakes) {
        this.#state = 'ready';
        return [this.#atqa & 0xff, this.#atqa >> 8];
      }
      return null;
    }
    const level = [0x93, 0x95, 0x97].indexOf(frame[0] as number);
    if (level >= 0 && this.#state === 'ready') {
      const part = this.#levels[level];
      if (part === undefined) return null;
      const bcc = part.reduce((a, b) => a ^ b, 0);
      if (frame[1] === 0x20 && frame.length === 2) return [...part, bcc];
      if (frame[1] === 0x70 && frame.length === 9) {
        const crc = crcA(frame.slice(0, 7));
        const matches = frame.slice(2, 6).every((b, i) => b === part[i]) && frame[6] === bcc;
        if (!matches || frame[7] !== crc[0] || frame[8] !== crc[1]) return null;
        const last = level === this.#levels.length - 1;
        if (last) this.#state = 'active';
        const sak = last ? this.#sak : 0x04;
        return [sak, ...crcA([sak])];
      }
      return null;
    }
    if (frame[0] === 0x50 && frame[1] === 0x00 && this.#state === 'active') this.#state = 'halt';
    return null;
  }
}

/**
 * An MFRC522 at register level behind a fake SPI object with rpi-softspi's interface
 * (open, write, transfer), which is what mfrc522-rpi talks to. It keeps the registers, the
 * FIFO, the interrupt flags and the CRC coprocessor, and relays transceive frames to the
 * card in its field.
 */
export class FakeMfrc522 {
  readonly #regs = new Uint8Array(64);
  #fifo: number[] = [];
  #card: FakePicc | null = null;
  /** SPI transfers, for the benchmark. */
  spiTransfers = 0;

  constructor() {
    this.#softReset();
  }

  place(card: FakeCard | null): void {
    this.#card = card === null ? null : new FakePicc(card);
  }

  /** The SPI object mfrc522-rpi is given. */
  spi(): { open(): void; write(data: Uint8Array): void; transfer(data: Uint8Array): Uint8Array } {
    return {
      open: () => {},
      write: (data) => {
        this.spiTransfers++;
        this.#write(((data[0] as number) >> 1) & 0x3f, data[1] as number);
      },
      transfer: (data) => {
        this.spiTransfers++;
        const address = ((data[0] as number) >> 1) & 0x3f;
        return Uint8Array.from([0, (data[0] as number) & 0x80 ? this.#read(address) : 0]);
      },
    };
  }

  /**
   * The same chip on the kernel's SPI device, as the `spi-device` package presents it: each
   * message is full duplex, bytes out and bytes in. A first byte with its top bit set reads:
   * each following byte carries the next address and brings back the last one's value. Else
   * it writes: the following bytes go to that register, one after the other.
   */
  spiDevice(): SpiDeviceLike {
    const device: SpiDeviceLike = {
      transferSync: (messages) => {
        for (const message of messages) {
          this.spiTransfers++;
          const out = message.sendBuffer ?? Buffer.alloc(message.byteLength);
          const back = Buffer.alloc(message.byteLength);
          const first = out[0] as number;
          if (first & 0x80) {
            let address = (first >> 1) & 0x3f;
            for (let i = 1; i < message.byteLength; i++) {
              back[i] = this.#read(address);
              address = ((out[i] as number) >> 1) & 0x3f;
            }
          } else {
            const address = (first >> 1) & 0x3f;
            for (let i = 1; i < message.byteLength; i++) this.#write(address, out[i] as number);
          }
          message.receiveBuffer?.set(back.subarray(0, message.receiveBuffer.length));
        }
        return device;
      },
      closeSync: () => {},
    };
    return device;
  }

  #softReset(): void {
    this.#regs.fill(0);
    this.#regs[REG.TxControl] = 0x80; // antenna off after reset
    this.#regs[REG.Version] = 0x92; // MFRC522 v2.0
    this.#fifo = [];
    // The field drops during the reset: the card loses power and starts over.
    this.#card?.powerCycle();
  }

  #read(address: number): number {
    if (address === REG.FIFOData) return this.#fifo.shift() ?? 0;
    if (address === REG.FIFOLevel) return this.#fifo.length;
    return this.#regs[address] as number;
  }

  #write(address: number, value: number): void {
    switch (address) {
      case REG.FIFOData:
        this.#fifo.push(value);
        return;
      case REG.FIFOLevel:
        if (value & 0x80) this.#fifo = [];
        return;
      case REG.CommIrq:
      case REG.DivIrq:
        // Bit 7 (Set1) says whether the marked bits are set or cleared.
        this.#regs[address] =
          value & 0x80
            ? (this.#regs[address] as number) | (value & 0x7f)
            : (this.#regs[address] as number) & ~(value & 0x7f);
        return;
      case REG.Command:
        this.#regs[address] = value;
        this.#command(value & 0x0f);
        return;
      case REG.BitFraming:
        this.#regs[address] = value & 0x7f;
        if (value & 0x80 && ((this.#regs[REG.Command] as number) & 0x0f) === CMD.transceive)
          this.#transceive(value & 0x07);
        return;
      default:
        this.#regs[address] = value;
    }
  }

  #command(command: number): void {
    if (command === CMD.softReset) this.#softReset();
    else if (command === CMD.calcCrc) {
      const [low, high] = crcA(this.#fifo);
      this.#regs[REG.CRCResultL] = low;
      this.#regs[REG.CRCResultM] = high;
      this.#regs[REG.DivIrq] = (this.#regs[REG.DivIrq] as number) | 0x04;
    }
  }

  #transceive(lastBits: number): void {
    const frame = this.#fifo.splice(0);
    const fieldOn = ((this.#regs[REG.TxControl] as number) & 0x03) === 0x03;
    const answer = fieldOn && this.#card !== null ? this.#card.respond(frame, lastBits) : null;
    this.#regs[REG.Error] = 0;
    this.#regs[REG.Control] = 0;
    if (answer === null) {
      this.#regs[REG.CommIrq] = (this.#regs[REG.CommIrq] as number) | 0x01; // TimerIRq: nothing answered
      return;
    }
    this.#fifo = answer;
    this.#regs[REG.CommIrq] = (this.#regs[REG.CommIrq] as number) | 0x30; // RxIRq | IdleIRq
  }
}

/**
 * For the RC522 reader's worker thread (`spi: { kind: 'module', … }`): a fake MFRC522 whose
 * field the test controls from the main thread through a BroadcastChannel named `channel`.
 */
export function createSpi(options: { channel: string }): ReturnType<FakeMfrc522['spi']> {
  return fieldControlled(options.channel).spi();
}

/** A fake MFRC522 whose field the test's FakeMfrc522Field controls, from the main thread, through `channel`. */
function fieldControlled(channelName: string): FakeMfrc522 {
  const chip = new FakeMfrc522();
  const channel = new BroadcastChannel(channelName);
  channel.onmessage = (event) => {
    const message = (event as { data: { card?: FakeCard | null; exit?: number } }).data;
    // A reader thread that dies (a native crash, say): the driver must start a new one.
    if (message.exit !== undefined) process.exit(message.exit);
    chip.place(message.card ?? null);
  };
  // The channel must not keep the worker alive once the reader stops it.
  (channel as unknown as { unref(): void }).unref();
  return chip;
}

/**
 * For the RC522 reader's worker thread on spidev (`spi: { kind: 'spidev', fake: … }`): opens
 * a fake MFRC522 the way `spi-device`'s `openSync` opens /dev/spidevB.D, its field controlled
 * like `createSpi`'s through the BroadcastChannel named in the options.
 */
export function openSync(_bus: number, _device: number, options: { channel: string }): SpiDeviceLike {
  return fieldControlled(options.channel).spiDevice();
}

/** The test's side of `createSpi`: puts cards in the fake's field from the main thread. */
export class FakeMfrc522Field {
  readonly channel: string;
  readonly #port: BroadcastChannel;

  constructor(channel: string) {
    this.channel = channel;
    this.#port = new BroadcastChannel(channel);
  }

  place(card: FakeCard | null): void {
    this.#port.postMessage({ card });
  }

  /** Ends the reader's worker thread with this exit code. */
  killWorker(code = 3): void {
    this.#port.postMessage({ exit: code });
  }

  close(): void {
    this.#port.close();
  }
}
