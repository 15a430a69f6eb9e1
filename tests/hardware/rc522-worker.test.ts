import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type CardEvent,
  createHardware,
  parseHardwareProfile,
  Rc522Reader,
  type ReaderError,
} from '@ccus-gate/hardware';
import { FakeMfrc522Field } from '@ccus-gate/hardware/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce } from '../support/terminal-process.js';
import { waitFor } from '../support/wait.js';

// No mfrc522-rpi in this file's own thread: its rpio binding loads once per process, and the
// reader's worker thread must be the one to load it, as on a terminal.
const FAKE_MODULE = pathToFileURL(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../hardware/dist/sim/fake-mfrc522.js'),
).href;

describe('RC522 reader in its worker thread', () => {
  let reader: Rc522Reader;
  let field: FakeMfrc522Field;
  let count = 0;

  beforeAll(() => buildOnce());

  const start = async (): Promise<{ cards: CardEvent[]; removed: number[]; errors: ReaderError[] }> => {
    const channel = `fake-mfrc522-${process.pid}-${count++}`;
    field = new FakeMfrc522Field(channel);
    reader = new Rc522Reader({
      spi: { kind: 'module', module: FAKE_MODULE, options: { channel } },
      pollIntervalMs: 5,
      restartDelayMs: 50,
    });
    const seen = { cards: [] as CardEvent[], removed: [] as number[], errors: [] as ReaderError[] };
    reader.on('card', (card) => seen.cards.push(card));
    reader.on('removed', () => seen.removed.push(Date.now()));
    reader.on('error', (error) => seen.errors.push(error));
    await reader.start();
    return seen;
  };

  afterEach(async () => {
    await reader?.stop();
    field?.close();
  });

  it('reports a card once while it stays, its removal, and the card again when it comes back', async () => {
    const seen = await start();
    expect(reader.info()).toEqual({ model: 'MFRC522', firmware: '2.0' });
    field.place({ uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 });
    await waitFor('the card', () => seen.cards.length === 1);
    const polls = reader.stats.polls;
    await waitFor('many more polls', () => reader.stats.polls > polls + 20);
    expect(seen.cards).toEqual([
      {
        tech: 'mifare',
        id: '04A2B3C4D5E6F7',
        reader: 'rc522',
        details: { tech: 'mifare', uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 },
      },
    ]);
    field.place(null);
    await waitFor('the removal', () => seen.removed.length === 1);
    field.place({ uid: '04A2B3C4D5E6F7', sak: 0x00, atqa: 0x0044 });
    await waitFor('the card again', () => seen.cards.length === 2);
  });

  it('starts a new thread when its thread dies, says so once, and reads on', async () => {
    const seen = await start();
    field.killWorker(3);
    await waitFor('the report', () => seen.errors.some((e) => /exit code 3/.test(e.message)));
    await waitFor('a new thread', () => reader.stats.workerStarts === 2);
    // The new thread's fake listens once it polls; a message before that would find no one.
    const polls = reader.stats.polls;
    await waitFor('the new thread polling', () => reader.stats.polls > polls + 2);
    field.place({ uid: '04A2B3C4', sak: 0x08, atqa: 0x0004 });
    await waitFor('the card', () => seen.cards.length === 1, 5_000);
    expect(seen.errors).toHaveLength(1);
  });

  it('is built from a profile naming rc522-spi', async () => {
    const channel = `fake-mfrc522-${process.pid}-profile`;
    field = new FakeMfrc522Field(channel);
    const profile = parseHardwareProfile({
      name: 'rc522',
      readers: [{ driver: 'rc522-spi', name: 'gate' }],
      outputs: { driver: 'simulated' },
    });
    const hardware = await createHardware(profile, {
      rc522Spi: { kind: 'module', module: FAKE_MODULE, options: { channel } },
    });
    const built = hardware.readers[0];
    if (!(built instanceof Rc522Reader)) throw new Error('not an RC522 reader');
    reader = built;
    const cards: CardEvent[] = [];
    reader.on('card', (card) => cards.push(card));
    await reader.start();
    await waitFor('polling', () => reader.stats.polls > 2);
    field.place({ uid: '04A2B3C4', sak: 0x08, atqa: 0x0004 });
    await waitFor('the card', () => cards.length === 1);
    expect(cards[0]).toMatchObject({ id: '04A2B3C4', reader: 'gate' });
  });
});
