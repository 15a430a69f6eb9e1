import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ReaderError } from '../errors.js';
import {
  type CardDetails,
  type CardReader,
  type CardReaderEvents,
  type CardTech,
  cardFromHex,
  type ReaderInfo,
} from '../reader.js';

/**
 * A reader with no hardware behind it: cards are presented by a function call or by
 * lines of hex on a stream (standard input in the demo). Like a real driver it reports
 * a card once until it is removed.
 */
export class SimulatedReader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name: string;
  #running = false;
  #present: { tech: CardTech; id: string } | null = null;
  #lines: ReturnType<typeof createInterface> | null = null;
  /** Lines typed before the reader started, as a card left on a real reader is read when it starts. */
  #early: string[] = [];

  constructor(name = 'sim') {
    super();
    this.name = name;
  }

  async start(): Promise<void> {
    this.#running = true;
    const early = this.#early;
    this.#early = [];
    for (const line of early) this.tap(line);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#lines?.close();
    this.#lines = null;
  }

  info(): ReaderInfo {
    return { model: 'simulated reader', firmware: null };
  }

  /** Puts a card on the reader. Ignored while a card is already there, as on a real reader. */
  present(tech: CardTech, id: string, details?: CardDetails): void {
    if (!this.#running) throw new ReaderError('no_response', this.name, 'reader is not started');
    if (this.#present !== null) return;
    const card = { tech, id: id.toUpperCase() };
    this.#present = card;
    const fullDetails: CardDetails =
      details ??
      (tech === 'felica'
        ? { tech, idm: card.id, pmm: null, systemCode: null }
        : tech === 'qr'
          ? { tech, workerId: card.id }
          : { tech, uid: card.id, sak: null, atqa: null });
    this.emit('card', { ...card, details: fullDetails, reader: this.name });
  }

  remove(): void {
    const card = this.#present;
    if (card === null) return;
    this.#present = null;
    this.emit('removed', { ...card, reader: this.name });
  }

  /** Presents and removes a card given as hex; an unreadable line becomes a `bad_input` error. */
  tap(hex: string): void {
    const card = cardFromHex(hex);
    if (card === null) {
      this.emit(
        'error',
        new ReaderError('bad_input', this.name, `${JSON.stringify(hex.trim())} is not a card identifier`, {
          input: hex,
          expected: 'hex of a FeliCa IDm (8 bytes) or a MIFARE UID (4, 7 or 10 bytes), or qr: and a 14-digit worker ID',
        }),
      );
      return;
    }
    this.present(card.tech, card.id);
    this.remove();
  }

  /** Treats each non-empty line of `input` as a card tap; lines before the start wait for it (the last few). */
  feedLines(input: Readable): void {
    this.#lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    this.#lines.on('line', (line) => {
      if (line.trim() === '') return;
      if (this.#running) this.tap(line);
      else this.#early = [...this.#early.slice(-7), line];
    });
  }
}
