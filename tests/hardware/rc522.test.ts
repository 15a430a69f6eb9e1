import { createRequire } from 'node:module';
import { type Mfrc522Chip, readCard } from '@ccus-gate/hardware';
import { crcA, FakeMfrc522 } from '@ccus-gate/hardware/testing';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const MFRC522 = require('mfrc522-rpi') as new (spi: unknown) => Mfrc522Chip & { getUid(): { data: number[] } };

describe('MFRC522 at register level, through mfrc522-rpi', () => {
  it('computes CRC_A as ISO/IEC 14443-3 Annex B gives it', () => {
    expect(crcA([0x00, 0x00])).toEqual([0xa0, 0x1e]);
    expect(crcA([0x12, 0x34])).toEqual([0x26, 0xcf]);
  });

  it('reads UIDs of 4, 7 and 10 bytes through every cascade level, with SAK and ATQA', () => {
    const chip = new FakeMfrc522();
    const reader = new MFRC522(chip.spi());
    expect(readCard(reader)).toBeNull();
    chip.place({ uid: '04A2B3C4', sak: 0x08, atqa: 0x0004 });
    expect(readCard(reader)).toEqual({ uid: '04A2B3C4', sak: 0x08, atqa: 0x0004 });
    chip.place({ uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 });
    expect(readCard(reader)).toEqual({ uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 });
    chip.place({ uid: '0102030405060708090A', sak: 0x20, atqa: 0x0084 });
    expect(readCard(reader)).toEqual({ uid: '0102030405060708090A', sak: 0x20, atqa: 0x0084 });
    // The card stays readable poll after poll: each poll power-cycles the field.
    expect(readCard(reader)?.uid).toBe('0102030405060708090A');
  });

  it("shows the limit we work around: mfrc522-rpi's own getUid stops at cascade level 1", () => {
    const chip = new FakeMfrc522();
    const reader = new MFRC522(chip.spi());
    chip.place({ uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 });
    reader.reset();
    reader.writeRegister(0x0d, 0x07);
    reader.toCard(0x0c, [0x26]);
    expect(reader.getUid().data.slice(0, 4)).toEqual([0x88, 0x04, 0xa2, 0xb3]);
  });
});
