import { createServer } from 'node:http';
import { cardFromHex } from '../reader.js';
import type { SimulatedReader } from './simulated-reader.js';

export interface ReaderHttp {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024;

/**
 * A simulated reader's HTTP face, for tests and demos driven from another process:
 * `POST /tap` with a card id as hex (plain text, or JSON `{"card": "…"}`) taps it.
 * Answers 202 when tapped, 400 naming what was wrong otherwise. Listen on loopback only.
 */
export async function serveSimulatedReader(
  reader: SimulatedReader,
  options: { host?: string; port: number },
): Promise<ReaderHttp> {
  const server = createServer((request, response) => {
    const reply = (status: number, body: Record<string, unknown>): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.url !== '/tap') {
      reply(404, { error: 'not_found', message: 'POST /tap with a card id as hex, e.g. 012E4CD3A1B2C3D4' });
      return;
    }
    let body = '';
    let tooLarge = false;
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) tooLarge = true;
    });
    request.on('end', () => {
      if (tooLarge) return reply(413, { error: 'too_large', message: `body over ${MAX_BODY} bytes` });
      let raw = body.trim();
      if (raw.startsWith('{')) {
        try {
          raw = String((JSON.parse(raw) as { card?: unknown }).card ?? '');
        } catch {
          return reply(400, { error: 'bad_json', message: 'body is not valid JSON' });
        }
      }
      const card = cardFromHex(raw);
      if (card === null) {
        return reply(400, {
          error: 'bad_card',
          message: `${JSON.stringify(raw)} is not a card id: hex of a FeliCa IDm (8 bytes) or a MIFARE UID (4, 7 or 10 bytes)`,
        });
      }
      reader.tap(raw);
      reply(202, { tapped: card });
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
