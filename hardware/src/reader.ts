import type { EventEmitter } from 'node:events';
import type { ReaderError } from './errors.js';

/** A card's chip (FeliCa, MIFARE), or the 建キャリ app's QR code, whose identifier is the worker ID. */
export type CardTech = 'felica' | 'mifare' | 'qr';

export type CardDetails =
  | { tech: 'felica'; idm: string; pmm: string | null; systemCode: string | null }
  | { tech: 'mifare'; uid: string; sak: number | null; atqa: number | null }
  | { tech: 'qr'; workerId: string };

/** One card presentation: a card left on the reader is reported once. */
export interface CardEvent {
  tech: CardTech;
  /** Upper-case hex: FeliCa IDm or MIFARE UID; for a QR code, the 14-digit worker ID. */
  id: string;
  details: CardDetails;
  /** Which reader saw it, for gates with one reader per direction. */
  reader: string;
}

export interface CardRemovedEvent {
  tech: CardTech;
  id: string;
  reader: string;
}

export interface ReaderInfo {
  model: string;
  firmware: string | null;
}

export interface CardReaderEvents {
  card: [CardEvent];
  removed: [CardRemovedEvent];
  error: [ReaderError];
}

/** A card reader (or QR scanner). The driver owns polling and removal detection. */
export interface CardReader extends EventEmitter<CardReaderEvents> {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  info(): ReaderInfo;
}

/**
 * Reads a card identifier as hex from people or logs ("01:2e:..", "04 A2 .."):
 * 8 bytes is a FeliCa IDm, 4, 7 or 10 bytes a MIFARE UID; "qr:" and 14 digits is a
 * worker's QR code. Returns null otherwise.
 */
export function cardFromHex(raw: string): { tech: CardTech; id: string } | null {
  const qr = /^\s*qr:\s*([0-9][0-9 -]*[0-9])\s*$/i.exec(raw);
  if (qr !== null) {
    const id = (qr[1] as string).replace(/[\s-]/g, '');
    return id.length === 14 ? { tech: 'qr', id } : null;
  }
  const hex = raw
    .trim()
    .replace(/[\s:-]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) return null;
  if (hex.length === 16) return { tech: 'felica', id: hex };
  if (hex.length === 8 || hex.length === 14 || hex.length === 20) return { tech: 'mifare', id: hex };
  return null;
}
