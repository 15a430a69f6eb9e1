/**
 * The MFRC522 operations this driver uses from mfrc522-rpi: register access, its
 * transceive routine (which busy-waits on the chip) and the chip's CRC coprocessor.
 */
export interface Mfrc522Chip {
  reset(): void;
  writeRegister(address: number, value: number): void;
  toCard(command: number, bytes: number[]): { status: boolean; data: number[]; bitSize: number };
  calculateCRC(bytes: number[]): number[];
}

const BIT_FRAMING_REG = 0x0d;
const PCD_TRANSCEIVE = 0x0c;
const PICC_WUPA = 0x52;
const PICC_HLTA = 0x50;
/** Cascade levels 1, 2 and 3: SEL codes of ISO/IEC 14443-3 anticollision and select. */
const CASCADE = [0x93, 0x95, 0x97];
/** Cascade tag: this level holds only three bytes of a longer UID. */
const CT = 0x88;

export interface Rc522Card {
  uid: string;
  sak: number;
  atqa: number;
}

/**
 * One poll: power-cycles the field (mfrc522-rpi's reset), wakes any card (WUPA, so a halted
 * card answers too) and runs anticollision and select through every cascade level. That is
 * what mfrc522-rpi's own getUid() does not do: it stops at level 1, so a 7- or 10-byte UID
 * comes back as the cascade tag and three bytes. Returns null when no card answered whole.
 */
export function readCard(chip: Mfrc522Chip): Rc522Card | null {
  chip.reset();
  chip.writeRegister(BIT_FRAMING_REG, 0x07); // WUPA is a short frame of 7 bits
  const wake = chip.toCard(PCD_TRANSCEIVE, [PICC_WUPA]);
  if (!wake.status || wake.bitSize !== 16) return null;
  const atqa = ((wake.data[1] ?? 0) << 8) | (wake.data[0] ?? 0);
  const uid: number[] = [];
  let sak = 0;
  for (const sel of CASCADE) {
    chip.writeRegister(BIT_FRAMING_REG, 0x00);
    const anticollision = chip.toCard(PCD_TRANSCEIVE, [sel, 0x20]);
    const part = anticollision.data.slice(0, 5);
    if (!anticollision.status || part.length !== 5) return null;
    const bcc = (part[0] as number) ^ (part[1] as number) ^ (part[2] as number) ^ (part[3] as number);
    if (bcc !== part[4]) return null;
    const select = [sel, 0x70, ...part];
    const answer = chip.toCard(PCD_TRANSCEIVE, [...select, ...chip.calculateCRC(select)]);
    if (!answer.status || answer.bitSize !== 24) return null;
    sak = answer.data[0] as number;
    if (part[0] === CT) {
      uid.push(...part.slice(1, 4));
      continue;
    }
    uid.push(...part.slice(0, 4));
    // Halt it: the next poll's reset power-cycles the field anyway, but a halted card keeps quiet meanwhile.
    const halt = [PICC_HLTA, 0x00];
    chip.toCard(PCD_TRANSCEIVE, [...halt, ...chip.calculateCRC(halt)]);
    return { uid: Buffer.from(uid).toString('hex').toUpperCase(), sak, atqa };
  }
  return null;
}
