import {
  type Ack,
  decodeMessage,
  encodeMessage,
  type OnlineStatus,
  parseCardRef,
  parseTerminalId,
  parseWorkerId,
  type SiteId,
  type TapBatch,
  topicFor,
} from '@ccus-gate/protocol';
import { type EmbeddedBroker, type ServerStore, startEmbeddedBroker } from '@ccus-gate/server';
import { connect, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeWithSite } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestTerminal, type TestTerminal, testClock } from '../support/test-terminal.js';
import { waitFor } from '../support/wait.js';

const terminalId = parseTerminalId('gate-sync-01');
const service = { username: 'ccus-gate-server', password: 'service-secret' };
const CARDS = ['012E4CD3A1B2C3D4', '04A2B3C4', '04A2B3C4D5E6F7'];

/**
 * The sync agent against a real broker, with the test playing the server: it reads the
 * batches off the wire and writes the acks and rosters itself, good and bad.
 */
describe('sync agent', () => {
  let dir: ReturnType<typeof tempDir>;
  let serverStore: ServerStore;
  let broker: EmbeddedBroker;
  let server: MqttClient;
  let t: TestTerminal;
  let batches: TapBatch[];
  let statuses: OnlineStatus[];
  let refused: { topic: string; reason: string }[];

  let clock: ReturnType<typeof testClock>;
  const start = async (ackTimeoutMs = 60_000): Promise<void> => {
    clock = testClock('2026-11-23T23:00:00Z');
    t = await startTestTerminal({
      dir: dir.path,
      url: broker.url,
      terminalId,
      password: secret,
      clock,
      ackTimeoutMs,
    });
    t.terminal.sync.on('refusedMessage', (r) => refused.push(r));
    await waitFor('the terminal to connect', () => t.terminal.sync.connected);
  };
  let secret: string;
  let siteId: SiteId;

  const ackFor = (batch: TapBatch, overrides: Partial<Ack> = {}): Ack => ({
    v: 1,
    batchId: batch.batchId,
    accepted: { from: batch.taps[0]?.seq ?? 1, to: batch.taps.at(-1)?.seq ?? 1 },
    rejected: [],
    error: null,
    serverTime: new Date().toISOString(),
    ...overrides,
  });
  const sendAck = (payload: Buffer | string): Promise<unknown> =>
    server.publishAsync(topicFor(terminalId, 'ack'), payload, { qos: 1 });

  beforeEach(async () => {
    dir = tempDir('sync');
    ({ store: serverStore, siteId } = storeWithSite(dir.path));
    secret = serverStore.directory.createTerminal({ terminalId, tenantId: 't1', siteId });
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      stores: serverStore,
      service,
      log: pino({ level: 'silent' }),
    });
    server = connect(broker.url, { clientId: 'test-server', ...service, protocolVersion: 4 });
    await new Promise((resolve) => server.once('connect', resolve));
    await server.subscribeAsync([topicFor(terminalId, 'taps'), topicFor(terminalId, 'status')], { qos: 1 });
    batches = [];
    statuses = [];
    refused = [];
    server.on('message', (topic, payload) => {
      if (topic.endsWith('/taps')) batches.push(decodeMessage('taps', payload));
      else {
        const status = decodeMessage('status', payload);
        if (status.state === 'online') statuses.push(status);
      }
    });
  });

  afterEach(async () => {
    await t?.stop();
    await server.endAsync();
    await broker.close();
    serverStore.close();
    dir.remove();
  });

  it('settles a batch only on its own ack; malformed, unknown, out-of-range and repeated acks are refused and change nothing', async () => {
    await start();
    for (const card of CARDS) t.tap(card);
    const sent = await waitFor('three taps on the wire', () =>
      batches.flatMap((b) => b.taps).length === 3 ? [...batches] : undefined,
    );
    const batch = sent[0] as TapBatch;
    const pending = () => t.store.counts().pending;

    await sendAck('{"v":1,"batchId":');
    await sendAck(encodeMessage('ack', ackFor(batch, { batchId: '00000000-0000-4000-8000-000000000000' })));
    await sendAck(encodeMessage('ack', ackFor(batch, { accepted: { from: 1, to: 99 } })));
    await waitFor('three refusals', () => refused.length === 3);
    expect(refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/not valid JSON|JSON/i),
      expect.stringContaining('not in flight'),
      expect.stringContaining('outside the batch sent'),
    ]);
    expect(refused.every((r) => r.topic === topicFor(terminalId, 'ack'))).toBe(true);
    expect(pending()).toBe(3);

    // The out-of-range ack dropped the batch from flight, so the agent sends it again.
    for (const b of sent.slice(1)) await sendAck(encodeMessage('ack', ackFor(b)));
    const resent = await waitFor('the first batch again', () =>
      batches.slice(sent.length).find((b) => b.taps[0]?.seq === batch.taps[0]?.seq),
    );
    const good = encodeMessage('ack', ackFor(resent));
    await sendAck(good);
    await waitFor('every tap delivered', () => t.store.counts().delivered === 3);
    const before = refused.length;
    await sendAck(good);
    await waitFor('the repeated ack refused', () => refused.length === before + 1);
    expect(refused.at(-1)?.reason).toContain('not in flight');
    expect(t.store.counts()).toEqual({ pending: 0, delivered: 3, rejected: 0 });
  });

  it('sends an unanswered batch again after the ack timeout, with no new tap to prompt it', async () => {
    await start(300);
    t.tap(CARDS[0] as string);
    const first = await waitFor('a batch', () => batches[0]);
    // Time passes on the terminal's monotonic clock; only the agent's own timer can notice.
    clock.advance(301);
    const again = await waitFor('the same taps sent again', () => batches.find((b) => b.batchId !== first.batchId));
    expect(again.taps.map((tap) => tap.seq)).toEqual(first.taps.map((tap) => tap.seq));
    await sendAck(encodeMessage('ack', ackFor(again)));
    await waitFor('delivered', () => t.store.counts().delivered === 1);
  });

  it('keeps a rejected tap with its reason, reports it in status and never sends it again', async () => {
    await start(300);
    t.tap(CARDS[0] as string);
    t.tap(CARDS[1] as string);
    const batch = await waitFor('both taps in one batch', () => batches.find((b) => b.taps.length === 2));
    await sendAck(
      encodeMessage(
        'ack',
        ackFor(batch, { rejected: [{ seq: 2, reason: 'invalid_tap', message: 'tapped 3 days in the future' }] }),
      ),
    );
    await waitFor('settled', () => t.store.counts().pending === 0);
    expect(t.store.tap(2)?.state).toBe('rejected');
    expect(t.store.rejections()[0]?.reason).toBe('invalid_tap: tapped 3 days in the future');
    t.terminal.sync.publishStatus();
    const status = await waitFor('a status with the rejection', () => statuses.find((s) => s.rejectedCount === 1));
    expect(status.lastError).toMatchObject({ code: 'tap_rejected', message: expect.stringContaining('seq 2') });
    expect(status.queueDepth).toBe(0);
    // Several ack timeouts later, nothing went out again.
    const count = batches.length;
    for (let i = 0; i < 4; i++) {
      clock.advance(301);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(batches.length).toBe(count);
  });

  it('applies a newer roster at once and refuses a malformed, older or inconsistent one', async () => {
    await start();
    const card = parseCardRef(CARDS[1] as string);
    const roster = (version: number, workerId: string) => ({
      v: 1 as const,
      siteId,
      version,
      issuedAt: '2026-11-24T00:00:00Z',
      entries: [{ card, workerId: parseWorkerId(workerId) }],
    });
    const sendRoster = (payload: Buffer | string) =>
      server.publishAsync(topicFor(terminalId, 'roster'), payload, { qos: 1, retain: true });

    await sendRoster(encodeMessage('roster', roster(2, '10000000000002')));
    await waitFor('roster 2', () => t.store.rosterVersion() === 2);
    await sendRoster('not json');
    await sendRoster(
      JSON.stringify({
        ...roster(3, '10000000000003'),
        entries: [
          { card, workerId: '10000000000003' },
          { card, workerId: '10000000000004' },
        ],
      }),
    );
    await waitFor('two refusals', () => refused.length === 2);
    expect(refused.every((r) => r.topic === topicFor(terminalId, 'roster'))).toBe(true);
    expect(refused[1]?.reason).toMatch(/entries/);
    await sendRoster(encodeMessage('roster', roster(1, '10000000000009')));
    // A valid message after the stale one proves it was read and passed over.
    await sendRoster(encodeMessage('roster', roster(4, '10000000000002')));
    await waitFor('roster 4', () => t.store.rosterVersion() === 4);
    expect(t.store.resolveCard(card)).toBe('10000000000002');
  });

  it("runs by the server's config, keeps it through a restart without network, and ignores an older one", async () => {
    await start();
    const config = (version: number, directionMode: 'in' | 'toggle') => ({
      v: 1 as const,
      version,
      siteId,
      timeZone: 'Asia/Tokyo',
      dayBoundary: '04:00',
      directionMode,
      debounceSeconds: 0,
      unknownCard: 'accept' as const,
      retentionDays: 30,
      maxShiftHours: 16,
      language: 'ja' as const,
    });
    await server.publishAsync(topicFor(terminalId, 'config'), encodeMessage('config', config(2, 'in')), {
      qos: 1,
      retain: true,
    });
    await waitFor('config 2 saved', () => t.store.savedConfig()?.version === 2);
    const card = CARDS[0] as string;
    expect([t.tap(card).kind, t.tap(card).kind]).toEqual(['unknown', 'unknown']);
    expect([t.store.tap(1)?.direction, t.store.tap(2)?.direction]).toEqual(['in', 'in']);
    await t.stop();

    // Back up with no broker at all: the saved config still rules.
    t = await startTestTerminal({ dir: dir.path, url: 'mqtt://127.0.0.1:1', terminalId, password: secret, clock });
    t.tap(card);
    expect(t.store.tap(3)?.direction).toBe('in');
    await t.stop();

    await start();
    await server.publishAsync(topicFor(terminalId, 'config'), encodeMessage('config', config(1, 'toggle')), {
      qos: 1,
      retain: true,
    });
    // A valid roster after the stale config proves the config was read and passed over.
    await server.publishAsync(
      topicFor(terminalId, 'roster'),
      encodeMessage('roster', { v: 1, siteId, version: 9, issuedAt: '2026-11-24T00:00:00Z', entries: [] }),
      { qos: 1 },
    );
    await waitFor('roster 9', () => t.store.rosterVersion() === 9);
    expect(t.store.savedConfig()?.version).toBe(2);
    clock.advance(1_000);
    t.tap(card);
    expect(t.store.tap(4)?.direction).toBe('in');
  });
});
