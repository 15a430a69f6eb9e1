import { Transform, type TransformCallback } from 'node:stream';

/** An MQTT packet larger than the limit was announced; the connection is closed before its body is read. */
export class PacketTooLarge extends Error {
  readonly bytes: number;
  readonly limit: number;
  constructor(bytes: number, limit: number) {
    super(`an MQTT packet of ${bytes} bytes is over the limit of ${limit}`);
    this.name = 'PacketTooLarge';
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** A packet length MQTT cannot have (a fifth length byte): the connection is closed. */
export class MalformedPacketLength extends Error {
  constructor() {
    super('a malformed MQTT packet length (more than 4 bytes)');
    this.name = 'MalformedPacketLength';
  }
}

/**
 * Reads MQTT's framing (a type byte, then the remaining length as 1 to 4 base-128 bytes)
 * as bytes pass from a socket to the broker, and fails the stream as soon as a packet
 * announces more than `limit` bytes: the broker's parser would otherwise buffer the whole
 * packet (aedes has no limit of its own: moscajs/aedes#831). The limit may be lowered once
 * the client is known.
 */
export class PacketSizeGuard extends Transform {
  limit: number;
  /** Bytes of the current packet's body still to pass. */
  #remaining = 0;
  /** The fixed header being read: the type byte and length bytes so far. */
  #header: number[] = [];

  constructor(limit: number) {
    super();
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - at);
        this.#remaining -= n;
        at += n;
        continue;
      }
      const byte = chunk[at++] as number;
      this.#header.push(byte);
      if (this.#header.length === 1 || (byte & 0x80) !== 0) {
        if (this.#header.length === 5) {
          done(new MalformedPacketLength());
          return;
        }
        continue;
      }
      let length = 0;
      for (let i = this.#header.length - 1; i >= 1; i--) length = length * 128 + ((this.#header[i] as number) & 0x7f);
      const bytes = this.#header.length + length;
      if (bytes > this.limit) {
        done(new PacketTooLarge(bytes, this.limit));
        return;
      }
      this.#remaining = length;
      this.#header = [];
    }
    done(null, chunk);
  }
}
