import type { CardDetails, CardTech } from '../../reader.js';

/** PN532 command codes (UM0701-02 §7). The response code is always the command code + 1. */
export const CMD = {
  getFirmwareVersion: 0x02,
  samConfiguration: 0x14,
  rfConfiguration: 0x32,
  inListPassiveTarget: 0x4a,
  inRelease: 0x52,
} as const;

/** InListPassiveTarget BrTy: which modulation and bit rate to poll with. */
export const BAUD = {
  /** ISO/IEC 14443 Type A at 106 kbps: MIFARE. */
  typeA106: 0x00,
  felica212: 0x01,
  felica424: 0x02,
} as const;
export type PollMode = keyof typeof BAUD;

/** SAMConfiguration: normal mode (no SAM), virtual-card timeout 1 s (0x14 × 50 ms), IRQ used. */
export const SAM_NORMAL = [0x01, 0x14, 0x01];

/**
 * RFConfiguration item 5 (MaxRetries): ATR_RES retries, PSL_RES retries, passive activation
 * retries. One activation retry keeps an empty field's poll short, so polling alternates quickly.
 */
export function maxRetries(passiveActivation: number): number[] {
  return [0x05, 0xff, 0x01, passiveActivation];
}

/** FeliCa polling request: system code FFFF (any), request code 01 (return the system code), one time slot. */
export const FELICA_POLLING = [0x00, 0xff, 0xff, 0x01, 0x00];

export interface FirmwareVersion {
  ic: number;
  version: number;
  revision: number;
  support: number;
}

export function parseFirmwareVersion(data: Buffer): FirmwareVersion {
  if (data.length < 5) throw new Error(`GetFirmwareVersion answer is ${data.length} bytes, expected 5`);
  return { ic: data[1] as number, version: data[2] as number, revision: data[3] as number, support: data[4] as number };
}

export interface DetectedCard {
  tech: CardTech;
  id: string;
  details: CardDetails;
}

const hexOf = (bytes: Buffer): string => bytes.toString('hex').toUpperCase();

/**
 * The first target of an InListPassiveTarget answer (data starts with the response code 0x4B),
 * or null when none was in the field. Throws on a malformed answer.
 */
export function parseTarget(mode: PollMode, data: Buffer): DetectedCard | null {
  const count = data[1];
  if (count === undefined) throw new Error('InListPassiveTarget answer has no target count');
  if (count === 0) return null;
  if (mode === 'typeA106') {
    // Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1 …
    const uidLength = data[6];
    if (uidLength === undefined || data.length < 7 + uidLength) throw new Error('Type A target is cut short');
    if (uidLength !== 4 && uidLength !== 7 && uidLength !== 10) throw new Error(`Type A UID of ${uidLength} bytes`);
    const uid = hexOf(data.subarray(7, 7 + uidLength));
    const atqa = ((data[3] as number) << 8) | (data[4] as number);
    return { tech: 'mifare', id: uid, details: { tech: 'mifare', uid, sak: data[5] as number, atqa } };
  }
  // Tg, POL_RES length, response code 01, IDm (8), PMm (8), [system code (2)]
  const length = data[3];
  if (length === undefined || data.length < 3 + length || length < 18) throw new Error('FeliCa target is cut short');
  if (data[4] !== 0x01) throw new Error(`FeliCa polling response code ${data[4]}`);
  const idm = hexOf(data.subarray(5, 13));
  const pmm = hexOf(data.subarray(13, 21));
  const systemCode = length >= 20 ? hexOf(data.subarray(21, 23)) : null;
  return { tech: 'felica', id: idm, details: { tech: 'felica', idm, pmm, systemCode } };
}
