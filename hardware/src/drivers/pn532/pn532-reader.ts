import { EventEmitter } from 'node:events';
import { ReaderError } from '../../errors.js';
import type { CardReader, CardReaderEvents, CardTech, ReaderInfo } from '../../reader.js';
import { PresenceTracker } from '../presence.js';
import type { OpenPort, SerialLink } from '../serial-port.js';
import {
  BAUD,
  CMD,
  type DetectedCard,
  FELICA_POLLING,
  type FirmwareVersion,
  maxRetries,
  type PollMode,
  parseFirmwareVersion,
  parseTarget,
  SAM_NORMAL,
} from './commands.js';
import { encodeCommand, type Frame, FrameParser, hex, NACK_FRAME, WAKE_UP } from './frames.js';

/** The PN532's port: any serial link (drivers/serial-port.ts). */
export type Pn532Port = SerialLink;

export interface Pn532Options {
  /** Reader name in events, e.g. "in" and "out" on a two-reader gate. */
  name?: string;
  /** e.g. /dev/serial0 (the Pi's UART) or /dev/ttyUSB0 */
  path: string;
  baudRate?: number;
  openPort: OpenPort;
  /** Which polls to alternate between. */
  modes?: PollMode[];
  /** Pause between polls. */
  pollIntervalMs?: number;
  ackTimeoutMs?: number;
  responseTimeoutMs?: number;
  /** Polls of a card's technology without it before it counts as removed. */
  removalPolls?: number;
  /** Wait before opening a port that went away again. */
  reopenDelayMs?: number;
}

const DEFAULTS = {
  name: 'pn532',
  baudRate: 115_200,
  modes: ['typeA106', 'felica212', 'felica424'] as PollMode[],
  pollIntervalMs: 30,
  ackTimeoutMs: 60,
  responseTimeoutMs: 400,
  removalPolls: 2,
  reopenDelayMs: 1_000,
};

const techOf = (mode: PollMode): CardTech => (mode === 'typeA106' ? 'mifare' : 'felica');

/**
 * The PN532 on a UART: FeliCa (212 and 424 kbps) and ISO 14443 Type A (MIFARE), polled in
 * turn. A card left on the reader is one presentation; it is reported again only after it
 * was gone for `removalPolls` polls of its technology. The driver recovers by itself from
 * line noise, damaged or split frames (NACK and retry), a silent chip (wake-up and
 * re-initialisation) and a port that disappears (reopened until it is back).
 */
export class Pn532Reader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name: string;
  readonly #options: typeof DEFAULTS & Pn532Options;
  readonly #parser = new FrameParser();
  #frames: Frame[] = [];
  #waiter: ((frame: Frame | ReaderError | null) => void) | null = null;
  #port: Pn532Port | null = null;
  #ready = false;
  #running = false;
  #loop: Promise<void> | null = null;
  #sleeper: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  #firmware: FirmwareVersion | null = null;
  readonly #presence: PresenceTracker;
  /** Poll modes whose last answer could not be read. */
  readonly #failing = new Set<PollMode>();
  /** The error being reported, so an outage is reported once and not at every retry. */
  #reported: string | null = null;
  /** Host-to-PN532 frames written, and frames received: what a poll costs on the wire. */
  readonly stats = { framesSent: 0, framesReceived: 0, nacksSent: 0, reinits: 0, reopens: 0 };

  constructor(options: Pn532Options) {
    super();
    this.#options = { ...DEFAULTS, ...options } as typeof DEFAULTS & Pn532Options;
    this.name = this.#options.name;
    this.#presence = new PresenceTracker(this.#options.removalPolls);
  }

  info(): ReaderInfo {
    const fw = this.#firmware;
    return { model: 'PN532', firmware: fw === null ? null : `${fw.version}.${fw.revision}` };
  }

  /** Opens the port and initialises the chip; polling then goes on in the background. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await this.#open();
      await this.#initialise();
    } catch (error) {
      // Not fatal: the loop keeps trying, and says what is wrong.
      this.#report(this.#asReaderError(error));
    }
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake();
    this.#deliver(new ReaderError('disconnected', this.name, 'reader stopped'));
    await this.#loop;
    this.#loop = null;
    await this.#closePort();
  }

  async #run(): Promise<void> {
    let turn = 0;
    while (this.#running) {
      try {
        if (this.#port === null) await this.#open();
        if (!this.#ready) await this.#initialise();
        const modes = this.#options.modes;
        await this.#poll(modes[turn++ % modes.length] as PollMode);
        this.#recovered();
        await this.#sleep(this.#options.pollIntervalMs);
      } catch (error) {
        if (!this.#running) break;
        const readerError = this.#asReaderError(error);
        this.#report(readerError);
        this.#ready = false;
        if (readerError.code === 'disconnected') {
          await this.#closePort();
          await this.#sleep(this.#options.reopenDelayMs);
        } else {
          await this.#sleep(this.#options.pollIntervalMs * 4);
        }
      }
    }
  }

  async #open(): Promise<void> {
    const { path, baudRate } = this.#options;
    let port: Pn532Port;
    try {
      port = await this.#options.openPort({ path, baudRate });
    } catch (error) {
      throw new ReaderError('disconnected', this.name, `cannot open ${path}: ${(error as Error).message}`, { path });
    }
    this.stats.reopens++;
    this.#port = port;
    this.#parser.reset();
    this.#frames = [];
    port.on('data', (chunk: Buffer) => {
      for (const frame of this.#parser.push(chunk)) {
        this.stats.framesReceived++;
        this.#deliver(frame);
      }
    });
    port.on('close', () => {
      if (this.#port !== port) return;
      this.#port = null;
      this.#ready = false;
      this.#deliver(new ReaderError('disconnected', this.name, `${path} went away`, { path }));
    });
    port.on('error', (error: Error) => {
      this.#deliver(new ReaderError('disconnected', this.name, `${path}: ${error.message}`, { path }));
    });
  }

  async #closePort(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    this.#ready = false;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Wake-up, SAM in normal mode, firmware version, short RF retries. */
  async #initialise(): Promise<void> {
    this.stats.reinits++;
    await this.#write(WAKE_UP, false);
    await this.#command(CMD.samConfiguration, SAM_NORMAL);
    this.#firmware = parseFirmwareVersion(await this.#command(CMD.getFirmwareVersion));
    if (this.#firmware.ic !== 0x32) {
      throw new ReaderError('no_response', this.name, `chip answers as IC ${hex(this.#firmware.ic)}, not a PN532`);
    }
    await this.#command(CMD.rfConfiguration, maxRetries(0x01));
    this.#ready = true;
  }

  async #poll(mode: PollMode): Promise<void> {
    const params = mode === 'typeA106' ? [0x01, BAUD[mode]] : [0x01, BAUD[mode], ...FELICA_POLLING];
    const answer = await this.#command(CMD.inListPassiveTarget, params);
    let card: DetectedCard | null;
    try {
      card = parseTarget(mode, answer);
    } catch (error) {
      // A card at the edge of the field often answers in part; the next poll reads it whole.
      // Said once per run of failures, so a card held at the edge does not beep on every poll.
      if (!this.#failing.has(mode) && this.listenerCount('error') > 0) {
        this.emit('error', new ReaderError('read_failed', this.name, (error as Error).message, { mode }));
      }
      this.#failing.add(mode);
      return;
    }
    this.#failing.delete(mode);
    // Release the target so the next poll activates it again rather than finding it busy.
    if (card !== null) await this.#command(CMD.inRelease, [0x00]);
    this.#track(techOf(mode), card);
  }

  #track(tech: CardTech, card: DetectedCard | null): void {
    for (const change of this.#presence.observe(tech, card)) {
      if (change.kind === 'card') this.emit('card', { ...change.card, reader: this.name });
      else this.emit('removed', { ...change.card, reader: this.name });
    }
  }

  /**
   * One command: write it, wait for the ACK (resending on NACK, damage or silence), then
   * for the answer (NACKing a damaged one so the PN532 sends it again).
   */
  async #command(command: number, params: number[] = []): Promise<Buffer> {
    const frame = encodeCommand(command, Uint8Array.from(params));
    const what = `command ${hex(command)}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      this.#frames = [];
      await this.#write(frame, true);
      const ack = await this.#nextFrame(this.#options.ackTimeoutMs);
      if (ack === null || ack.kind !== 'ack') continue;
      let nacks = 0;
      let strays = 0;
      while (nacks < 3 && strays < 8) {
        const reply = await this.#nextFrame(this.#options.responseTimeoutMs);
        if (reply === null) throw new ReaderError('no_response', this.name, `no answer to ${what}`, { command });
        if (reply.kind === 'corrupt') {
          nacks++;
          this.stats.nacksSent++;
          await this.#write(NACK_FRAME, false);
        } else if (reply.kind === 'error') {
          throw new ReaderError('read_failed', this.name, `PN532 reported an error for ${what}`, { command });
        } else if (reply.kind === 'response' && reply.data[0] === command + 1) {
          return reply.data;
        } else {
          // An ACK out of turn or a stale answer to an earlier command: wait for ours.
          strays++;
        }
      }
    }
    throw new ReaderError('no_response', this.name, `no acknowledgement for ${what}`, { command });
  }

  async #write(bytes: Buffer, isFrame: boolean): Promise<void> {
    const port = this.#port;
    if (port === null) throw new ReaderError('disconnected', this.name, `${this.#options.path} is not open`);
    if (isFrame) this.stats.framesSent++;
    await new Promise<void>((resolve, reject) =>
      port.write(bytes, (error) =>
        error ? reject(new ReaderError('disconnected', this.name, `write failed: ${error.message}`)) : resolve(),
      ),
    );
  }

  /** The next frame from the PN532, or null after `timeoutMs`; rejects when the port goes away. */
  #nextFrame(timeoutMs: number): Promise<Frame | null> {
    const queued = this.#frames.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null;
        resolve(null);
      }, timeoutMs);
      this.#waiter = (frame) => {
        clearTimeout(timer);
        this.#waiter = null;
        if (frame instanceof ReaderError) reject(frame);
        else resolve(frame);
      };
    });
  }

  #deliver(frame: Frame | ReaderError): void {
    const waiter = this.#waiter;
    if (waiter !== null) waiter(frame);
    else if (!(frame instanceof ReaderError)) this.#frames.push(frame);
  }

  #sleep(ms: number): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      this.#sleeper = {
        resolve,
        timer: setTimeout(() => {
          this.#sleeper = null;
          resolve();
        }, ms),
      };
    });
  }

  #wake(): void {
    const sleeper = this.#sleeper;
    this.#sleeper = null;
    if (sleeper !== null) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
  }

  #asReaderError(error: unknown): ReaderError {
    if (error instanceof ReaderError) return error;
    return new ReaderError('no_response', this.name, (error as Error).message ?? String(error));
  }

  /** Once per kind of trouble: a reader that stays silent for an hour is one error, not thousands. */
  #report(error: ReaderError): void {
    const key = `${error.code}:${error.message}`;
    if (this.#reported === key) return;
    this.#reported = key;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #recovered(): void {
    this.#reported = null;
  }
}
