import { z } from 'zod';
import { ProtocolError } from './errors.js';

/** 技能者ID: the CCUS worker ID printed on the card, digits only, at most 14. */
export const WorkerIdSchema = z
  .string()
  .regex(/^[0-9]{1,14}$/, 'must be a CCUS worker ID: 1 to 14 digits')
  .brand<'WorkerId'>();
export type WorkerId = z.infer<typeof WorkerIdSchema>;

/** 事業者ID: a CCUS company ID. CCUS issues numeric IDs of the same shape as worker IDs. */
export const CompanyIdSchema = z
  .string()
  .regex(/^[0-9]{1,14}$/, 'must be a CCUS company ID: 1 to 14 digits')
  .brand<'CompanyId'>();
export type CompanyId = z.infer<typeof CompanyIdSchema>;

/** 現場ID: a CCUS site ID, issued by CCUS to the prime contractor. */
export const SiteIdSchema = z
  .string()
  .regex(/^[0-9]{1,14}$/, 'must be a CCUS site ID: 1 to 14 digits')
  .brand<'SiteId'>();
export type SiteId = z.infer<typeof SiteIdSchema>;

/**
 * Our own terminal ID. It is a topic level and a broker user name, so it must never
 * contain MQTT wildcards or separators: lower-case letters, digits and inner hyphens.
 */
export const TerminalIdSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{1,30}[a-z0-9])$/,
    'must be a terminal ID: 3 to 32 lower-case letters, digits or inner hyphens',
  )
  .brand<'TerminalId'>();
export type TerminalId = z.infer<typeof TerminalIdSchema>;

/**
 * How a worker is identified at the gate: a card (FeliCa, MIFARE) by its chip's identifier,
 * or the 建キャリ app's QR code (`qr`), whose identifier is the worker ID itself.
 */
export const CARD_TECHS = ['felica', 'mifare', 'qr'] as const;
export type CardTech = (typeof CARD_TECHS)[number];
/** The techs of physical cards, which a contractor binds to a worker; a QR code names its worker. */
export const CARD_CHIP_TECHS = ['felica', 'mifare'] as const;
export type CardChipTech = (typeof CARD_CHIP_TECHS)[number];

/** FeliCa IDm: 8 bytes, as 16 upper-case hex digits. */
export const FelicaIdmSchema = z
  .string()
  .regex(/^[0-9A-F]{16}$/, 'must be a FeliCa IDm: 8 bytes as 16 upper-case hex digits')
  .brand<'FelicaIdm'>();
export type FelicaIdm = z.infer<typeof FelicaIdmSchema>;

/** MIFARE / ISO 14443A UID: single, double or triple size (4, 7 or 10 bytes), upper-case hex. */
export const MifareUidSchema = z
  .string()
  .regex(/^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/, 'must be a MIFARE UID: 4, 7 or 10 bytes as upper-case hex')
  .brand<'MifareUid'>();
export type MifareUid = z.infer<typeof MifareUidSchema>;

/** A card as the terminal saw it: its technology and the identifier that technology gives. */
export const CardRefSchema = z.discriminatedUnion('tech', [
  z.strictObject({ tech: z.literal('felica'), id: FelicaIdmSchema }),
  z.strictObject({ tech: z.literal('mifare'), id: MifareUidSchema }),
  z.strictObject({ tech: z.literal('qr'), id: WorkerIdSchema }),
]);
export type CardRef = z.infer<typeof CardRefSchema>;

function parseWith<S extends z.ZodType>(schema: S, what: string, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<S>;
  const message = result.error.issues[0]?.message ?? 'is invalid';
  throw new ProtocolError('invalid_id', `${what} ${JSON.stringify(value)} ${message}`, {
    field: what,
    value,
    expected: message.replace(/^must be /, ''),
  });
}

export const parseWorkerId = (value: unknown): WorkerId => parseWith(WorkerIdSchema, 'workerId', value);
export const parseCompanyId = (value: unknown): CompanyId => parseWith(CompanyIdSchema, 'companyId', value);
export const parseSiteId = (value: unknown): SiteId => parseWith(SiteIdSchema, 'siteId', value);
export const parseTerminalId = (value: unknown): TerminalId => parseWith(TerminalIdSchema, 'terminalId', value);

/**
 * Reads a card identifier as people and readers write it ("01:2e:4c:..", "04 a2 ..",
 * lower case) and returns the canonical form. Without `tech`, the length decides:
 * 8 bytes is a FeliCa IDm, 4, 7 or 10 bytes a MIFARE UID (the two never overlap).
 */
export function parseCardRef(raw: string, tech?: CardTech): CardRef {
  // A worker ID is never inferred: 14 digits would read as a 7-byte MIFARE UID.
  if (tech === 'qr') return parseWith(CardRefSchema, 'card', { tech, id: raw.trim().replace(/[\s-]/g, '') });
  const hex = raw
    .trim()
    .replace(/[\s:-]/g, '')
    .toUpperCase();
  const inferred: CardTech | undefined = tech ?? (hex.length === 16 ? 'felica' : hex.length > 0 ? 'mifare' : undefined);
  if (inferred === undefined || !/^[0-9A-F]+$/.test(hex)) {
    throw new ProtocolError(
      'invalid_id',
      `card identifier ${JSON.stringify(raw)} is not hex: expected a FeliCa IDm (8 bytes) or a MIFARE UID (4, 7 or 10 bytes)`,
      { field: 'card.id', value: raw, expected: 'hex digits of an 8-byte IDm or a 4/7/10-byte UID' },
    );
  }
  return parseWith(CardRefSchema, 'card', { tech: inferred, id: hex });
}

/** A stable string key for maps and database columns: `felica:0123456789ABCDEF`. */
export function cardKey(card: CardRef): string {
  return `${card.tech}:${card.id}`;
}
