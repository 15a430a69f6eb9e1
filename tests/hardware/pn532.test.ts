import {
  type CardEvent,
  type CardRemovedEvent,
  encodeCommand,
  FrameParser,
  Pn532Reader,
  type ReaderError,
} from '@ccus-gate/hardware';
import { FakePn532 } from '@ccus-gate/hardware/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('PN532 frames', () => {
  it('encodes commands as UM0701-02 shows them', () => {
    // GetFirmwareVersion and SAMConfiguration (normal mode, 1 s, IRQ), byte for byte.
    expect(encodeCommand(0x02)).toEqual(hex('00 00 FF 02 FE D4 02 2A 00'));
    expect(encodeCommand(0x14, Uint8Array.from([0x01, 0x14, 0x01]))).toEqual(
      hex('00 00 FF 05 FB D4 14 01 14 01 02 00'),
    );
  });

  it('uses the extended frame for long bodies, and reads one back', () => {
    const long = encodeCommand(0x40, new Uint8Array(300).fill(0x11));
    expect(long.subarray(0, 8)).toEqual(hex('00 00 FF FF FF 01 2E D1'));
    // The same layout from the PN532's side (TFI D5), parsed.
    const body = Buffer.from([0xd5, 0x41, ...new Uint8Array(298).fill(0x22)]);
    const dcs = (0x100 - (body.reduce((a, x) => a + x, 0) & 0xff)) & 0xff;
    const frame = Buffer.concat([hex('00 00 FF FF FF 01 2C D3'), body, Buffer.from([dcs, 0x00])]);
    const frames = new FrameParser().push(frame);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ kind: 'response' });
    expect((frames[0] as { data: Buffer }).data.length).toBe(299);
  });

  it('skips noise, waits for split frames, and tells ACK, NACK, error and damaged frames apart', () => {
    const parser = new FrameParser();
    const answer = hex('00 00 FF 06 FA D5 03 32 01 06 07 E8 00');
    expect(parser.push(Buffer.concat([hex('13 37 FF 55'), answer.subarray(0, 7)]))).toEqual([]);
    expect(parser.push(answer.subarray(7))).toEqual([{ kind: 'response', data: hex('03 32 01 06 07') }]);
    expect(parser.skipped).toBe(4);
    expect(parser.push(hex('00 00 FF 00 FF 00 00 00 FF FF 00 00 00 00 FF 01 FF 7F 81 00'))).toEqual([
      { kind: 'ack' },
      { kind: 'nack' },
      { kind: 'error' },
    ]);
    const damaged = Buffer.from(answer);
    damaged[11] = 0xe9;
    expect(parser.push(Buffer.concat([damaged, answer]))).toEqual([
      { kind: 'corrupt', reason: 'data checksum' },
      { kind: 'response', data: hex('03 32 01 06 07') },
    ]);
    expect(parser.push(hex('00 FF 05 FA'))).toEqual([{ kind: 'corrupt', reason: 'length checksum' }]);
  });
});

describe('PN532 reader over a mock serial port', () => {
  let fake: FakePn532;
  let reader: Pn532Reader;
  let cards: CardEvent[];
  let removed: CardRemovedEvent[];
  let errors: ReaderError[];
  let count = 0;

  beforeEach(async () => {
    fake = new FakePn532(`/dev/fake-pn532-${count++}`);
    reader = new Pn532Reader({
      path: fake.path,
      openPort: fake.openPort,
      pollIntervalMs: 2,
      ackTimeoutMs: 20,
      responseTimeoutMs: 50,
      reopenDelayMs: 30,
    });
    cards = [];
    removed = [];
    errors = [];
    reader.on('card', (card) => cards.push(card));
    reader.on('removed', (card) => removed.push(card));
    reader.on('error', (error) => errors.push(error));
  });

  afterEach(async () => {
    await reader.stop();
  });

  it('wakes the chip, configures it and reports its firmware', async () => {
    await reader.start();
    expect(fake.awake).toBe(true);
    expect(reader.info()).toEqual({ model: 'PN532', firmware: '1.6' });
    expect(fake.stats.commands.get(0x14)).toBe(1); // SAMConfiguration
    expect(fake.stats.commands.get(0x32)).toBe(1); // RF retries
  });

  it('reports a FeliCa card once while it stays, its removal, and the card again when it comes back', async () => {
    await reader.start();
    fake.presentFelica('012E4CD3A1B2C3D4', { pmm: '0120220427674EFF', systemCode: '0003' });
    await waitFor('the card', () => cards.length === 1);
    const polls = fake.stats.commands.get(0x4a) ?? 0;
    await waitFor('many more polls', () => (fake.stats.commands.get(0x4a) ?? 0) > polls + 20);
    expect(cards).toEqual([
      {
        tech: 'felica',
        id: '012E4CD3A1B2C3D4',
        reader: 'pn532',
        details: { tech: 'felica', idm: '012E4CD3A1B2C3D4', pmm: '0120220427674EFF', systemCode: '0003' },
      },
    ]);
    fake.removeCards();
    await waitFor('the removal', () => removed.length === 1);
    expect(removed[0]).toEqual({ tech: 'felica', id: '012E4CD3A1B2C3D4', reader: 'pn532' });
    fake.presentFelica('012E4CD3A1B2C3D4');
    await waitFor('the card again', () => cards.length === 2);
  });

  it('reads MIFARE UIDs of 4 and 7 bytes with SAK and ATQA, and a FeliCa card that answers only at 424 kbps', async () => {
    await reader.start();
    fake.presentMifare('04A2B3C4');
    await waitFor('the 4-byte card', () => cards.length === 1);
    fake.removeCards();
    fake.presentMifare('04A2B3C4D5E6F7', { sak: 0x00, atqa: 0x0044 });
    await waitFor('the 7-byte card', () => cards.length === 2);
    expect(cards.map((c) => c.details)).toEqual([
      { tech: 'mifare', uid: '04A2B3C4', sak: 0x08, atqa: 0x0004 },
      { tech: 'mifare', uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 },
    ]);
    fake.removeCards();
    fake.felicaRates = [424];
    fake.presentFelica('0102030405060708');
    await waitFor('the 424 kbps card', () => cards.length === 3);
    expect(cards[2]).toMatchObject({ tech: 'felica', id: '0102030405060708' });
  });

  it('reads through line noise, damaged answers, NACKs and answers split into pieces', async () => {
    await reader.start();
    fake.noise = [0x13, 0x37, 0xff, 0x00, 0x42];
    fake.split = true;
    fake.corruptNext = 3;
    fake.nackNext = 2;
    fake.presentFelica('012E4CD3A1B2C3D4');
    await waitFor('the card', () => cards.length === 1, 5_000);
    expect(cards[0]?.id).toBe('012E4CD3A1B2C3D4');
    expect(reader.stats.nacksSent).toBeGreaterThanOrEqual(3);
    expect(fake.stats.nacksFromHost).toBeGreaterThanOrEqual(3);
    // Damage never turned into a wrong card or a removal.
    await waitFor('more polls', () => (fake.stats.commands.get(0x4a) ?? 0) > 30);
    expect(cards).toHaveLength(1);
    expect(removed).toHaveLength(0);
  });

  it('says once that a card at the edge of the field answers in part, and reads it when it answers whole', async () => {
    await reader.start();
    fake.truncateTargets = 12;
    fake.presentFelica('012E4CD3A1B2C3D4');
    await waitFor('the partial answers', () => fake.truncateTargets === 0);
    await waitFor('the card', () => cards.length === 1);
    const partial = errors.filter((e) => e.code === 'read_failed');
    // One per poll mode that saw the card cut short, not one per poll.
    expect(partial.length).toBeGreaterThanOrEqual(1);
    expect(partial.length).toBeLessThanOrEqual(2);
    expect(partial[0]?.message).toMatch(/FeliCa target is cut short/);
  });

  it('says once that a silent chip does not answer, and re-initialises it when it speaks again', async () => {
    await reader.start();
    const inits = reader.stats.reinits;
    fake.silent = true;
    await waitFor('the error', () => errors.some((e) => e.code === 'no_response'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors.filter((e) => e.code === 'no_response').length).toBeLessThanOrEqual(2);
    fake.silent = false;
    fake.presentMifare('04A2B3C4');
    await waitFor('the card after recovery', () => cards.length === 1);
    expect(reader.stats.reinits).toBeGreaterThan(inits);
  });

  it('survives the port being unplugged and plugged back in', async () => {
    await reader.start();
    fake.presentMifare('04A2B3C4');
    await waitFor('the card', () => cards.length === 1);
    fake.unplug();
    await waitFor('the disconnection', () => errors.some((e) => e.code === 'disconnected'));
    fake.removeCards();
    await new Promise((resolve) => setTimeout(resolve, 100));
    fake.replug();
    fake.presentFelica('012E4CD3A1B2C3D4');
    await waitFor('a card after replugging', () => cards.some((c) => c.tech === 'felica'), 5_000);
    expect(reader.stats.reopens).toBeGreaterThanOrEqual(2);
  });

  it('starts without a port and picks the reader up when it appears', async () => {
    fake.unplug();
    await reader.start();
    await waitFor('the error', () => errors.some((e) => e.code === 'disconnected'));
    expect(errors[0]?.message).toContain(fake.path);
    fake.replug();
    fake.presentMifare('04A2B3C4');
    await waitFor('the card', () => cards.length === 1, 5_000);
  });
});
