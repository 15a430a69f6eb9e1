import { type CardEvent, type ReaderError, SimulatedReader, serveSimulatedReader } from '@ccus-gate/hardware';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

describe('simulated reader over HTTP', () => {
  let reader: SimulatedReader;
  let http: Awaited<ReturnType<typeof serveSimulatedReader>>;
  const cards: CardEvent[] = [];
  const errors: ReaderError[] = [];

  beforeEach(async () => {
    reader = new SimulatedReader('sim');
    reader.on('card', (card) => cards.push(card));
    reader.on('error', (error) => errors.push(error));
    await reader.start();
    http = await serveSimulatedReader(reader, { port: 0 });
  });

  afterEach(async () => {
    await http.close();
    await reader.stop();
    cards.length = 0;
    errors.length = 0;
  });

  it('taps a card given as text or JSON, and refuses what is not a card id, naming it', async () => {
    const text = await fetch(`${http.url}/tap`, { method: 'POST', body: '01:2e:4c:d3:a1:b2:c3:d4' });
    expect(text.status).toBe(202);
    const json = await fetch(`${http.url}/tap`, { method: 'POST', body: JSON.stringify({ card: '04A2B3C4D5E6F7' }) });
    expect(await json.json()).toEqual({ tapped: { tech: 'mifare', id: '04A2B3C4D5E6F7' } });
    expect(cards.map((c) => [c.tech, c.id])).toEqual([
      ['felica', '012E4CD3A1B2C3D4'],
      ['mifare', '04A2B3C4D5E6F7'],
    ]);
    const bad = await fetch(`${http.url}/tap`, { method: 'POST', body: 'hello' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: 'bad_card',
      message: expect.stringContaining('"hello" is not a card id'),
    });
    expect((await fetch(`${http.url}/nope`)).status).toBe(404);
    expect(cards).toHaveLength(2);
  });
});
