import { request } from 'node:http';
import { type HttpListener, listenHttp } from '@ccus-gate/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/temp-dir.js';
import { overHttp, WebClient, type WebFixture, webFixture } from '../../support/web-client.js';

interface Sent {
  status: number;
  body: string;
  /** Bytes of the body written before the answer came. */
  writtenBeforeAnswer: number;
}

/**
 * Posts a body of `size` bytes in 64 KiB chunks, declared or chunked, and stops writing as
 * soon as an answer comes: a server that refuses early is seen to refuse early.
 */
function post(url: string, path: string, size: number, options: { declared: boolean; cookie?: string }): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (options.declared) headers['content-length'] = size;
    if (options.cookie !== undefined) headers.cookie = options.cookie;
    const req = request(`${url}${path}`, { method: 'POST', headers });
    let written = 0;
    let answered = false;
    const chunk = Buffer.alloc(64 * 1024, 'a=');
    const pump = (): void => {
      while (!answered && written < size) {
        const n = Math.min(chunk.length, size - written);
        written += n;
        if (!req.write(chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    req.on('response', (res) => {
      answered = true;
      const writtenBeforeAnswer = written;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body, writtenBeforeAnswer });
      });
    });
    // The server closes a connection whose body it will not read: expected, once answered.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    pump();
  });
}

const MiB = 1024 * 1024;

describe('request bodies', () => {
  const dir = tempDir('body-limits');
  let f: WebFixture;
  let http: HttpListener;
  beforeEach(async () => {
    f = await webFixture(dir.path);
    http = await listenHttp(f.web, { host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await http.close();
    f.close();
    dir.remove();
  });

  it('refuses a sign-in form declared too large before reading its body', async () => {
    const sent = await post(http.url, '/signin', 50 * MiB, { declared: true });
    expect(sent.status).toBe(413);
    expect(sent.body).toContain('65536 bytes');
    expect(sent.writtenBeforeAnswer).toBeLessThan(50 * MiB);
  });

  it('stops reading a chunked form at the limit, and memory stays where it was', async () => {
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 3; i++) {
      const sent = await post(http.url, '/signin', 100 * MiB, { declared: false });
      expect(sent.status).toBe(413);
      expect(sent.writtenBeforeAnswer).toBeLessThan(100 * MiB);
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * MiB);
  });

  it('has the same limit on every dashboard form, signed in, and changes nothing', async () => {
    const workersOfA = async (): Promise<unknown> =>
      ((await (await f.call(f.a.admin, 'GET', '/api/v1/workers')).json()) as { workers: unknown[] }).workers;
    const before = await workersOfA();
    const client = await f.client('a-admin');
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const path of ['/workers', '/roster/add', '/attention/exit', '/signout', '/accounts/users']) {
      const sent = await post(http.url, path, 70 * 1024, { declared: true, cookie });
      expect(sent.status, path).toBe(413);
    }
    expect(await workersOfA()).toEqual(before);
    expect((await client.get('/today')).status).toBe(200);
  });

  it('answers an API client with a problem naming the limit', async () => {
    const response = await fetch(`${http.url}/api/v1/workers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.a.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workerId: '12345678901234', name: 'x'.repeat(70 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toContain('65536 bytes');
  });

  it('takes a small form as before', async () => {
    const browser = new WebClient(overHttp(http.url));
    expect((await browser.signIn('a-admin', 'correct horse battery')).status).toBe(303);
  });
});
