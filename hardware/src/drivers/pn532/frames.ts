/**
 * The PN532 host-controller frame format (NXP UM0701-02, §6.2.1), for the HSU (UART) link.
 *
 *   normal:   00 00 FF LEN LCS TFI PD0..PDn DCS 00          (LEN + LCS ≡ 0, TFI + ΣPD + DCS ≡ 0 mod 256)
 *   extended: 00 00 FF FF FF LENM LENL LCS TFI PD0..PDn DCS 00   (LENM + LENL + LCS ≡ 0)
 *   ACK:      00 00 FF 00 FF 00
 *   NACK:     00 00 FF FF 00 00
 *   error:    00 00 FF 01 FF 7F 81 00                       (an application-level error)
 *
 * LEN counts TFI and the data bytes. TFI is D4 from host to PN532 and D5 back.
 */

export const TFI_HOST_TO_PN532 = 0xd4;
export const TFI_PN532_TO_HOST = 0xd5;
export const ACK_FRAME = Buffer.from([0x00, 0x00, 0xff, 0x00, 0xff, 0x00]);
export const NACK_FRAME = Buffer.from([0x00, 0x00, 0xff, 0xff, 0x00, 0x00]);
/**
 * HSU wake-up: the PN532 sleeps after power-on until it sees 0x55 and enough idle bytes
 * on the line (UM0701-02 §7.2.11 on HSU wake-up). Sent before the first command and after a re-init.
 */
export const WAKE_UP = Buffer.from([
  0x55, 0x55, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
]);

/** TFI and data bytes of a normal frame fit in 255; longer ones need the extended frame. */
const NORMAL_MAX = 0xff;

function checksum(bytes: Iterable<number>): number {
  let sum = 0;
  for (const byte of bytes) sum += byte;
  return (0x100 - (sum & 0xff)) & 0xff;
}

/** Wraps a command (command code and parameters) in a host-to-PN532 information frame. */
export function encodeCommand(command: number, params: Uint8Array = new Uint8Array()): Buffer {
  const body = Buffer.from([TFI_HOST_TO_PN532, command, ...params]);
  const dcs = checksum(body);
  if (body.length <= NORMAL_MAX && body.length !== 0xff) {
    return Buffer.from([0x00, 0x00, 0xff, body.length, checksum([body.length]), ...body, dcs, 0x00]);
  }
  const lenm = (body.length >> 8) & 0xff;
  const lenl = body.length & 0xff;
  return Buffer.from([0x00, 0x00, 0xff, 0xff, 0xff, lenm, lenl, checksum([lenm, lenl]), ...body, dcs, 0x00]);
}

export type Frame =
  | { kind: 'ack' }
  | { kind: 'nack' }
  /** An application-level error frame. */
  | { kind: 'error' }
  /** A PN532-to-host information frame: `data` starts with the response code. */
  | { kind: 'response'; data: Buffer }
  /** A frame that arrived damaged (bad length or data checksum, wrong TFI); the host should NACK it. */
  | { kind: 'corrupt'; reason: string };

/**
 * Turns a byte stream from the PN532 into frames. Bytes before a start code are line noise
 * and are skipped; a frame split across reads waits for the rest. Pure: no timers, no I/O.
 */
export class FrameParser {
  #buffer: Buffer = Buffer.alloc(0);
  /** Bytes thrown away as noise, for diagnostics. */
  skipped = 0;

  push(chunk: Uint8Array): Frame[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.#next();
      if (frame === null) break;
      frames.push(frame);
    }
    return frames;
  }

  reset(): void {
    this.#buffer = Buffer.alloc(0);
  }

  #next(): Frame | null {
    const buffer = this.#buffer;
    // The start code is 00 FF; the preamble 00 before it is optional on the wire.
    let start = -1;
    for (let i = 0; i + 1 < buffer.length; i++) {
      if (buffer[i] === 0x00 && buffer[i + 1] === 0xff) {
        start = i;
        break;
      }
    }
    if (start < 0) {
      // Keep a trailing 00, which may be the start of a start code.
      const keep = buffer.length > 0 && buffer[buffer.length - 1] === 0x00 ? 1 : 0;
      this.#skip(buffer.length - keep);
      return null;
    }
    if (start > 0) {
      const noise = buffer.subarray(0, start);
      // A preamble byte right before the start code is not noise.
      this.#skip(start);
      this.skipped -= noise.length > 0 && noise[noise.length - 1] === 0x00 ? 1 : 0;
    }
    const b = this.#buffer;
    if (b.length < 4) return null;
    const len = b[2] as number;
    const lcs = b[3] as number;
    if (len === 0x00 && lcs === 0xff) return this.#take(4, { kind: 'ack' });
    if (len === 0xff && lcs === 0x00) return this.#take(4, { kind: 'nack' });

    let headerLength: number;
    let bodyLength: number;
    if (len === 0xff && lcs === 0xff) {
      if (b.length < 7) return null;
      const lenm = b[4] as number;
      const lenl = b[5] as number;
      if (((lenm + lenl + (b[6] as number)) & 0xff) !== 0) return this.#corrupt(2, 'extended length checksum');
      headerLength = 7;
      bodyLength = (lenm << 8) | lenl;
    } else {
      if (((len + lcs) & 0xff) !== 0) return this.#corrupt(2, 'length checksum');
      headerLength = 4;
      bodyLength = len;
    }
    if (bodyLength === 0) return this.#corrupt(headerLength, 'empty frame');
    if (b.length < headerLength + bodyLength + 1) return null;
    const body = b.subarray(headerLength, headerLength + bodyLength);
    const dcs = b[headerLength + bodyLength] as number;
    const total = headerLength + bodyLength + 1;
    if (checksum(body) !== dcs) return this.#corrupt(total, 'data checksum');
    if (bodyLength === 1 && body[0] === 0x7f) return this.#take(total, { kind: 'error' });
    if (body[0] !== TFI_PN532_TO_HOST) return this.#corrupt(total, `frame identifier ${hex(body[0] as number)}`);
    return this.#take(total, { kind: 'response', data: Buffer.from(body.subarray(1)) });
  }

  /** Consumes `length` bytes (from the start code) plus a postamble 00 if present. */
  #take(length: number, frame: Frame): Frame {
    let consumed = length;
    if (this.#buffer[consumed] === 0x00 && this.#buffer[consumed + 1] !== 0xff) consumed++;
    this.#buffer = this.#buffer.subarray(consumed);
    return frame;
  }

  #corrupt(length: number, reason: string): Frame {
    this.#buffer = this.#buffer.subarray(length);
    return { kind: 'corrupt', reason };
  }

  #skip(count: number): void {
    if (count <= 0) return;
    this.skipped += count;
    this.#buffer = this.#buffer.subarray(count);
  }
}

export function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
