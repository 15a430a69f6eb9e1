import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CardEvent, createHardware, parseHardwareProfile, type Rc522Reader } from '@ccus-gate/hardware';
import { FakeMfrc522, FakeMfrc522Field } from '@ccus-gate/hardware/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

const FAKE_MODULE = pathToFileURL(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../hardware/dist/sim/fake-mfrc522.js'),
).href;

/**
 * The RC522 on the kernel's SPI device (/dev/spidev0.0 through spi-device), the build for a
 * Raspberry Pi 5, whose GPIO rpio (under rpi-softspi) cannot drive. The same register-level
 * fake MFRC522 answers, this time as spi-device presents a chip: full-duplex byte transfers.
 */
describe('RC522 on spidev', () => {
  let reader: Rc522Reader | undefined;
  let field: FakeMfrc522Field | undefined;
  beforeAll(() => buildOnce());
  afterEach(async () => {
    await reader?.stop();
    field?.close();
  });

  it('speaks the MFRC522 SPI framing: a read brings each register back one byte late, a write fills one register', () => {
    const chip = new FakeMfrc522().spiDevice();
    const read = (addresses: number[]): number[] => {
      const sendBuffer = Buffer.from([...addresses.map((a) => ((a << 1) & 0x7e) | 0x80), 0]);
      const receiveBuffer = Buffer.alloc(sendBuffer.length);
      chip.transferSync([{ sendBuffer, receiveBuffer, byteLength: sendBuffer.length }]);
      return [...receiveBuffer.subarray(1)];
    };
    // VersionReg (0x37) is 0x92 on an MFRC522 v2.0; TxControlReg (0x14) has the antenna off.
    expect(read([0x37, 0x14])).toEqual([0x92, 0x80]);
    chip.transferSync([{ sendBuffer: Buffer.from([(0x24 << 1) & 0x7e, 0x26]), byteLength: 2 }]); // ModWidthReg
    expect(read([0x24])).toEqual([0x26]);
  });

  it('is built from a profile naming rc522-spidev, and reads a 7-byte UID whole', async () => {
    const channel = `fake-spidev-${process.pid}`;
    field = new FakeMfrc522Field(channel);
    const profile = parseHardwareProfile({
      name: 'pi 5, rc522 on spidev',
      readers: [{ driver: 'rc522-spidev' }],
      outputs: { driver: 'simulated' },
    });
    expect(profile.readers[0]).toMatchObject({ bus: 0, device: 0, speedHz: 1_000_000 });
    const hardware = await createHardware(profile, { rc522Spidev: { module: FAKE_MODULE, channel } });
    reader = hardware.readers[0] as Rc522Reader;
    const cards: CardEvent[] = [];
    reader.on('card', (card) => cards.push(card));
    await reader.start();
    expect(reader.info()).toEqual({ model: 'MFRC522', firmware: '2.0' });
    field.place({ uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 });
    await waitFor('the card', () => cards.length === 1);
    expect(cards[0]).toMatchObject({ tech: 'mifare', id: '04A2B3C4D5E6F7', reader: 'rc522' });
    hardware.close();
  });
});
