import { EventEmitter } from 'node:events';
import { ReaderError } from '../../errors.js';
import type { CardReader, CardReaderEvents, ReaderInfo } from '../../reader.js';
import type { OpenPort, SerialLink } from '../serial-port.js';
import { compileQrPattern, DEFAULT_QR_PATTERN, QrLineSplitter, readQrText } from './qr-payload.js';

export interface QrScannerOptions {
  /** Reader name in events and logs. */
  name?: string;
  /** e.g. /dev/ttyACM0 (a USB scanner in CDC mode) or /dev/serial0 (one on the UART). */
  path: string;
  baudRate?: number;
  openPort: OpenPort;
  /** Where the worker ID is in the code (qr-payload.ts); 14 digits by default. */
  pattern?: string;
  /** Wait before opening again a port that went away. */
  reopenDelayMs?: number;
}

/**
 * A serial QR scanner reading the 建キャリ app's worker QR code. Scanners in serial mode send
 * each code they decode as text ending in CR and/or LF, on their own (sense or continuous
 * mode): the driver only listens. A code that is not a worker ID by the pattern is an error
 * with its reason; a scan is never turned into a guess. A scanner holding a code in view
 * sends it again and again, which the terminal's debounce treats as one tap, as it does a
 * card left on a reader. The port is reopened when it goes away (a USB scanner unplugged).
 */
export class QrScanner extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name: string;
  readonly #options: Required<Omit<QrScannerOptions, 'pattern'>>;
  readonly #pattern: RegExp;
  #port: SerialLink | null = null;
  #running = false;
  #reopenTimer: NodeJS.Timeout | null = null;
  /** The last error reported, so a port that stays away is said once, not every second. */
  #reported: string | null = null;
  readonly stats = { scans: 0, refused: 0, opens: 0 };

  constructor(options: QrScannerOptions) {
    super();
    const pattern = compileQrPattern(options.pattern ?? DEFAULT_QR_PATTERN);
    if (typeof pattern === 'string') throw new Error(`QR scanner ${options.name ?? 'qr'}: pattern: ${pattern}`);
    this.#pattern = pattern;
    this.#options = { name: 'qr', baudRate: 9_600, reopenDelayMs: 1_000, ...options };
    this.name = this.#options.name;
  }

  info(): ReaderInfo {
    return { model: 'serial QR scanner', firmware: null };
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#open();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#reopenTimer !== null) clearTimeout(this.#reopenTimer);
    this.#reopenTimer = null;
    const port = this.#port;
    this.#port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async #open(): Promise<void> {
    const { path, baudRate } = this.#options;
    let port: SerialLink;
    try {
      port = await this.#options.openPort({ path, baudRate });
    } catch (error) {
      this.#report(
        new ReaderError('disconnected', this.name, `cannot open ${path}: ${(error as Error).message}`, { path }),
      );
      this.#reopenLater();
      return;
    }
    if (!this.#running) {
      port.close();
      return;
    }
    this.stats.opens++;
    this.#port = port;
    this.#reported = null;
    const lines = new QrLineSplitter();
    port.on('data', (chunk: Buffer) => {
      const { lines: codes, dropped } = lines.push(chunk);
      for (let i = 0; i < dropped; i++)
        this.#refuse('a code too long to be a worker ID (is the scanner sending a line ending?)');
      for (const code of codes) this.#scanned(code);
    });
    port.on('close', () => {
      if (this.#port !== port) return;
      this.#port = null;
      this.#report(new ReaderError('disconnected', this.name, `${path} went away`, { path }));
      this.#reopenLater();
    });
    port.on('error', (error: Error) => {
      this.#report(new ReaderError('disconnected', this.name, `${path}: ${error.message}`, { path }));
    });
  }

  #reopenLater(): void {
    if (!this.#running || this.#reopenTimer !== null) return;
    this.#reopenTimer = setTimeout(() => {
      this.#reopenTimer = null;
      if (this.#running && this.#port === null) void this.#open();
    }, this.#options.reopenDelayMs);
  }

  #scanned(text: string): void {
    const reading = readQrText(text, this.#pattern);
    if ('refused' in reading) {
      this.#refuse(`${reading.refused}: not a worker ID`);
      return;
    }
    this.stats.scans++;
    const event = { tech: 'qr' as const, id: reading.workerId, reader: this.name };
    this.emit('card', { ...event, details: { tech: 'qr', workerId: reading.workerId } });
    // A scan is over once read: nothing stays on the reader to be removed later.
    this.emit('removed', event);
  }

  #refuse(reason: string): void {
    this.stats.refused++;
    // Every refusal is said: each one is a person at the gate who must be told to try again.
    if (this.listenerCount('error') > 0) {
      this.emit('error', new ReaderError('not_a_worker_id', this.name, `scanned ${reason}`));
    }
  }

  #report(error: ReaderError): void {
    const key = `${error.code}:${error.message}`;
    if (this.#reported === key) return;
    this.#reported = key;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
