import {
  type CardEvent,
  cardFromHex,
  createHardware,
  DEFAULT_QR_PATTERN,
  parseHardwareProfile,
  QrLineSplitter,
  QrScanner,
  type ReaderError,
  readQrText,
} from '@ccus-gate/hardware';
import { FakeQrScanner } from '@ccus-gate/hardware/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';

const ID = '12345678901234';
const byDefault = new RegExp(DEFAULT_QR_PATTERN, 'u');

describe('what a scanned QR code says', () => {
  it('takes 14 digits, with spaces or hyphens between them', () => {
    expect(readQrText(ID, byDefault)).toEqual({ workerId: ID });
    expect(readQrText('1234 5678 9012 34', byDefault)).toEqual({ workerId: ID });
    expect(readQrText('1234-5678-9012-34', byDefault)).toEqual({ workerId: ID });
  });

  it('refuses anything else, saying what it read, and never guesses', () => {
    for (const text of [
      '1234567890123',
      '123456789012345',
      'https://example.com/1234567890123',
      'A2345678901234',
      '',
    ]) {
      const reading = readQrText(text, byDefault);
      expect(reading, text).toHaveProperty('refused');
    }
    expect(readQrText('x'.repeat(300), byDefault)).toEqual({ refused: 'a code of 300 characters (at most 256)' });
    expect((readQrText('https://evil.example/?\u0007', byDefault) as { refused: string }).refused).toContain('\\u0007');
  });

  it('reads the worker ID from a configured pattern, by its first group', () => {
    const pattern = /^CCUS:([0-9]{14});v=1$/u;
    expect(readQrText(`CCUS:${ID};v=1`, pattern)).toEqual({ workerId: ID });
    expect(readQrText(ID, pattern)).toHaveProperty('refused');
    // A pattern that lets through something other than 14 digits still cannot make a guess.
    expect(readQrText('CCUS:12;v=1', /^CCUS:([0-9]+);v=1$/u)).toHaveProperty('refused');
  });

  it('reads "qr:" and a worker ID typed into a simulated reader, and nothing shorter', () => {
    expect(cardFromHex(`qr:${ID}`)).toEqual({ tech: 'qr', id: ID });
    expect(cardFromHex(' QR: 1234-5678-9012-34 ')).toEqual({ tech: 'qr', id: ID });
    expect(cardFromHex('qr:1234')).toBeNull();
    // Without the prefix the same digits are a 7-byte MIFARE UID, as a reader would give them.
    expect(cardFromHex(ID)).toEqual({ tech: 'mifare', id: ID });
  });

  it('splits a byte stream at CR, LF or both, holds a split code, and drops an endless one', () => {
    const lines = new QrLineSplitter(32);
    expect(lines.push(Buffer.from(`${ID}\r\n1234`))).toEqual({ lines: [ID], dropped: 0 });
    expect(lines.push(Buffer.from('5678901234\n'))).toEqual({ lines: [ID], dropped: 0 });
    expect(lines.push(Buffer.from('x'.repeat(20)))).toEqual({ lines: [], dropped: 0 });
    expect(lines.push(Buffer.from('x'.repeat(20)))).toEqual({ lines: [], dropped: 1 });
    // Still going: dropped once, to its end; memory stays bounded meanwhile.
    expect(lines.push(Buffer.from('x'.repeat(10_000)))).toEqual({ lines: [], dropped: 0 });
    expect(lines.push(Buffer.from(`\r${ID}\r`))).toEqual({ lines: [ID], dropped: 0 });
  });
});

describe('QR scanner over a mock serial port', () => {
  let scanner: QrScanner | null = null;
  afterEach(async () => {
    await scanner?.stop();
    scanner = null;
  });

  function start(fake: FakeQrScanner, pattern?: string) {
    const cards: CardEvent[] = [];
    const errors: ReaderError[] = [];
    scanner = new QrScanner({
      path: fake.path,
      openPort: fake.openPort,
      reopenDelayMs: 20,
      ...(pattern === undefined ? {} : { pattern }),
    });
    scanner.on('card', (event) => cards.push(event));
    scanner.on('error', (error) => errors.push(error));
    return { cards, errors, started: scanner.start() };
  }

  it('reports each scan as the worker ID, whatever line ending the scanner sends', async () => {
    const fake = new FakeQrScanner('/dev/fake-qr-1');
    const { cards, started } = start(fake);
    await started;
    fake.scan(ID);
    fake.scan('1234-5678-9012-35', '\r\n');
    fake.send(Buffer.from('12345678901236\n'), true);
    await waitFor('the scanner', () => cards.length === 3);
    expect(cards.map((card) => [card.tech, card.id, card.reader])).toEqual([
      ['qr', ID, 'qr'],
      ['qr', '12345678901235', 'qr'],
      ['qr', '12345678901236', 'qr'],
    ]);
    expect(cards[0]?.details).toEqual({ tech: 'qr', workerId: ID });
  });

  it('refuses a code that is not a worker ID, each time, with the reason', async () => {
    const fake = new FakeQrScanner('/dev/fake-qr-2');
    const { cards, errors, started } = start(fake);
    await started;
    fake.scan('https://example.com/promo');
    fake.scan('https://example.com/promo');
    // A scanner set to send no line ending: one refusal, and the ending that comes at last ends it.
    fake.send(Buffer.from('9'.repeat(5_000)));
    fake.send(Buffer.from('\r'));
    fake.scan(ID);
    await waitFor('the scanner', () => cards.length === 1);
    expect(errors.map((error) => error.code)).toEqual(['not_a_worker_id', 'not_a_worker_id', 'not_a_worker_id']);
    expect(errors[0]?.message).toContain('"https://example.com/promo" does not match the pattern');
    expect(errors[2]?.message).toContain('too long');
  });

  it('takes the worker ID by a configured pattern', async () => {
    const fake = new FakeQrScanner('/dev/fake-qr-3');
    const { cards, errors, started } = start(fake, '^CCUS:([0-9]{14})$');
    await started;
    fake.scan(ID);
    fake.scan(`CCUS:${ID}`);
    await waitFor('the scanner', () => cards.length === 1 && errors.length === 1);
    expect(cards[0]?.id).toBe(ID);
  });

  it('says once that the scanner went away, and reads again once it is back', async () => {
    const fake = new FakeQrScanner('/dev/fake-qr-4');
    const { cards, errors, started } = start(fake);
    await started;
    fake.unplug();
    await waitFor('the scanner', () => errors.some((error) => error.code === 'disconnected'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(errors.filter((error) => error.code === 'disconnected').length).toBeLessThanOrEqual(2);
    fake.replug();
    await waitFor('the scanner', () => fake.isOpen);
    fake.scan(ID);
    await waitFor('the scanner', () => cards.length === 1);
    expect(fake.opens).toBe(2);
  });

  it('is built from a profile, next to a card reader, and a bad pattern is refused by name', async () => {
    const fake = new FakeQrScanner('/dev/fake-qr-5');
    const profile = parseHardwareProfile({
      name: 'pn532 and qr',
      readers: [
        { driver: 'simulated', name: 'card', input: 'none' },
        { driver: 'qr-serial', path: fake.path, baudRate: 115_200 },
      ],
      outputs: { driver: 'simulated' },
    });
    const hardware = await createHardware(profile, { openPort: fake.openPort });
    const qr = hardware.readers[1] as QrScanner;
    const cards: CardEvent[] = [];
    qr.on('card', (event) => cards.push(event));
    await qr.start();
    fake.scan(ID);
    await waitFor('the scanner', () => cards.length === 1);
    await qr.stop();
    hardware.close();
    expect(() =>
      parseHardwareProfile({
        name: 'bad',
        readers: [{ driver: 'qr-serial', pattern: '([0-9]{14}' }],
        outputs: { driver: 'simulated' },
      }),
    ).toThrow(/readers\[0\]\.pattern|readers\.0\.pattern/);
  });
});
