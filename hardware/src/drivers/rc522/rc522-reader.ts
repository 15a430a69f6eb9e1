import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ReaderError } from '../../errors.js';
import type { CardReader, CardReaderEvents, ReaderInfo } from '../../reader.js';
import { PresenceTracker } from '../presence.js';
import type { Rc522WorkerData, Rc522WorkerMessage } from './rc522-worker.js';

export interface Rc522Options {
  name?: string;
  spi: Rc522WorkerData['spi'];
  resetPin?: number;
  pollIntervalMs?: number;
  /** Wait before starting a new reader thread after one died. */
  restartDelayMs?: number;
  /** Polls without the card before it counts as removed. */
  removalPolls?: number;
  /** The compiled worker script; found next to this module (or in dist/ when running from sources). */
  workerUrl?: URL;
}

/** The worker script beside this module, or its compiled twin in dist/ when this runs from src/ (tests). */
function defaultWorkerUrl(): URL {
  const beside = new URL('./rc522-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL(beside.href.replace('/hardware/src/', '/hardware/dist/'));
}

/**
 * The RC522 (MFRC522) on SPI: MIFARE only; the MFRC522 cannot speak FeliCa. The polling
 * runs in a worker thread, because mfrc522-rpi busy-waits on the chip. A thread that dies
 * is replaced, and the trouble is reported once. rpio, beneath mfrc522-rpi, is a native
 * module that is not context-aware: it must be loaded by the reader thread only, never by
 * the main thread as well.
 */
export class Rc522Reader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name: string;
  readonly #options: Required<Omit<Rc522Options, 'resetPin' | 'workerUrl'>> & Pick<Rc522Options, 'resetPin'>;
  readonly #workerUrl: URL;
  readonly #presence: PresenceTracker;
  #worker: Worker | null = null;
  #version: number | null = null;
  #running = false;
  #restartTimer: NodeJS.Timeout | null = null;
  #reported: string | null = null;
  readonly stats = { polls: 0, workerStarts: 0 };

  constructor(options: Rc522Options) {
    super();
    this.#options = {
      name: 'rc522',
      pollIntervalMs: 50,
      removalPolls: 2,
      restartDelayMs: 1_000,
      ...options,
    };
    this.name = this.#options.name;
    this.#workerUrl = options.workerUrl ?? defaultWorkerUrl();
    this.#presence = new PresenceTracker(this.#options.removalPolls);
  }

  info(): ReaderInfo {
    const version = this.#version;
    const known: Record<number, string> = { 145: '1.0', 146: '2.0' };
    return { model: 'MFRC522', firmware: version === null ? null : (known[version] ?? `0x${version.toString(16)}`) };
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#startWorker();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' });
      const timer = setTimeout(() => void worker.terminate(), 1_000);
      await exited;
      clearTimeout(timer);
    }
  }

  #startWorker(): Promise<void> {
    const data: Rc522WorkerData = {
      spi: this.#options.spi,
      pollIntervalMs: this.#options.pollIntervalMs,
      ...(this.#options.resetPin === undefined ? {} : { resetPin: this.#options.resetPin }),
    };
    const worker = new Worker(this.#workerUrl, { workerData: data });
    this.#worker = worker;
    this.stats.workerStarts++;
    return new Promise<void>((resolve) => {
      let ready = false;
      worker.on('message', (message: Rc522WorkerMessage) => {
        if (message.type === 'ready') {
          ready = true;
          this.#version = message.version;
          if (message.version === 0x00 || message.version === 0xff) {
            this.#report(
              new ReaderError('no_response', this.name, 'no MFRC522 answers on SPI (check wiring and 3.3 V)'),
            );
          }
          resolve();
        } else if (message.type === 'poll') {
          this.stats.polls++;
          this.#reported = null;
          const card =
            message.card === null
              ? null
              : {
                  tech: 'mifare' as const,
                  id: message.card.uid,
                  details: {
                    tech: 'mifare' as const,
                    uid: message.card.uid,
                    sak: message.card.sak,
                    atqa: message.card.atqa,
                  },
                };
          for (const change of this.#presence.observe('mifare', card)) {
            if (change.kind === 'card') this.emit('card', { ...change.card, reader: this.name });
            else this.emit('removed', { ...change.card, reader: this.name });
          }
        } else {
          this.#report(new ReaderError('no_response', this.name, message.message));
        }
      });
      worker.on('error', (error) => {
        this.#report(new ReaderError('no_response', this.name, `reader thread failed: ${error.message}`));
      });
      worker.on('exit', (code) => {
        if (!ready) resolve();
        if (this.#worker !== worker || !this.#running) return;
        this.#worker = null;
        this.#report(
          new ReaderError('no_response', this.name, `reader thread stopped (exit code ${code}); restarting it`),
        );
        this.#restartTimer = setTimeout(() => {
          this.#restartTimer = null;
          if (this.#running) void this.#startWorker();
        }, this.#options.restartDelayMs);
      });
    });
  }

  #report(error: ReaderError): void {
    const key = error.message;
    if (this.#reported === key) return;
    this.#reported = key;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
