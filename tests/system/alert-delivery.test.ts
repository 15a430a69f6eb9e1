import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { smtpMailer } from '@ccus-gate/server';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { tempDir } from '../support/temp-dir.js';

interface Mail {
  to: string[];
  raw: string;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

/**
 * Alerts by e-mail, through a real SMTP server in this process (smtp-server), and by signed
 * webhook to a real HTTP receiver that fails the first time: the same alert goes once to each
 * subscription, the webhook's is retried, and its signature checks out.
 */
describe('alert delivery', () => {
  let dir: ReturnType<typeof tempDir>;
  let smtp: SMTPServer;
  let receiver: Server;
  let server: SyncServerHarness;
  const mails: Mail[] = [];
  const hooks: { headers: IncomingMessage['headers']; body: string; answered: number }[] = [];

  beforeEach(async () => {
    dir = tempDir('alerts');
    mails.length = 0;
    hooks.length = 0;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          done();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    receiver = createServer(async (request, response) => {
      const body = await readBody(request);
      // Down the first time, as a receiver being deployed is.
      const answered = hooks.length === 0 ? 503 : 204;
      hooks.push({ headers: request.headers, body, answered });
      response.writeHead(answered).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    server = await startSyncServer(dir.path, {
      alerts: {
        mailer: smtpMailer({ host: '127.0.0.1', port: smtpPort, secure: false, from: 'gate@ccus-gate.example' }),
        intervalMs: 3_600_000,
        firstRetryMs: 0,
      },
    });
  });

  afterEach(async () => {
    await server.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    dir.remove();
  });

  const call = (token: string, method: string, path: string, body?: unknown): Promise<Response> =>
    Promise.resolve(
      server.server.app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );

  it('mails each subscriber the alerts they chose, once, and posts a signed webhook until it is taken', async () => {
    const admin = server.store.directory.createApiToken('t1', 'admin', 'office');
    const viewer = server.store.directory.createApiToken('t1', 'viewer', 'foreman');
    // The foreman chooses offline terminals, in Japanese; the office takes every kind by webhook, in English.
    const mail = await call(viewer, 'POST', '/api/v1/alert-subscriptions', {
      channel: 'email',
      target: 'foreman@example.jp',
      kinds: ['terminal_offline'],
      lang: 'ja',
    });
    expect(mail.status).toBe(201);
    expect(
      (await call(viewer, 'POST', '/api/v1/alert-subscriptions', { channel: 'webhook', target: 'http://x.example/' }))
        .status,
    ).toBe(403);
    const bad = await call(admin, 'POST', '/api/v1/alert-subscriptions', {
      channel: 'email',
      target: 'not an address',
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('target');
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ccus-gate`;
    const hook = await call(admin, 'POST', '/api/v1/alert-subscriptions', {
      channel: 'webhook',
      target: receiverUrl,
      lang: 'en',
    });
    const { secret } = (await hook.json()) as { secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The test terminal never connected: it is offline.
    await server.server.alerts.tick();
    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual(['foreman@example.jp']);
    // The body as the foreman's mail program shows it (nodemailer sends Japanese text as base64).
    const raw = mails[0]?.raw ?? '';
    const body = Buffer.from(raw.slice(raw.indexOf('\r\n\r\n') + 4), 'base64').toString('utf8');
    expect(raw).toContain('Content-Type: text/plain; charset=utf-8');
    expect(body).toContain('端末 gate-test-01 が応答していません');
    expect(hooks.map((h) => h.answered)).toEqual([503]);

    // Next turn: the same alert is not mailed again; the webhook's is retried and taken.
    await server.server.alerts.tick();
    expect(mails).toHaveLength(1);
    expect(hooks.map((h) => h.answered)).toEqual([503, 204]);
    const taken = hooks[1] as (typeof hooks)[number];
    const payload = JSON.parse(taken.body) as {
      alert: { kind: string; terminalId: string };
      text: string;
      delivery: number;
    };
    expect(payload.alert).toMatchObject({ kind: 'terminal_offline', terminalId: 'gate-test-01' });
    expect(payload.text).toContain('Terminal gate-test-01 is not answering');
    // The receiver checks the signature with the secret it was given once.
    const [t, v1] = String(taken.headers['x-ccus-gate-signature']).split(',') as [string, string];
    const expected = createHmac('sha256', secret)
      .update(`${t.slice(2)}.${taken.body}`)
      .digest('hex');
    expect(v1).toBe(`v1=${expected}`);
    expect(taken.headers['x-ccus-gate-delivery']).toBe(String(payload.delivery));
    expect(hooks[0]?.body).not.toBe(taken.body); // sent again, with its own time
    await server.server.alerts.tick();
    expect(hooks).toHaveLength(2);

    const listed = (await (await call(viewer, 'GET', '/api/v1/alert-subscriptions')).json()) as {
      subscriptions: { channel: string }[];
      deliveries: { state: string; attempts: number }[];
    };
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed.deliveries.map((d) => [d.state, d.attempts]).sort()).toEqual(
      [
        ['sent', 1],
        ['sent', 2],
      ].sort(),
    );
  });
});
