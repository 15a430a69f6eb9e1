import { createHash, randomUUID } from 'node:crypto';
import { parseTerminalId, type TapBatch } from '@ccus-gate/protocol';
import { ingestTapBatch, type ServerStore } from '@ccus-gate/server';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { storeWithSite } from '../support/server-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * Thousands of generated payloads and request bodies: nothing crashes the server, each
 * bad one is refused with a reason, bad MQTT payloads are quarantined with size, hash and first bytes,
 * and a refused request changes nothing.
 */

const terminalId = parseTerminalId('gate-fuzz');
const topic = `ccus/v1/t/${terminalId}/taps`;

function validBatch(seq: number): TapBatch {
  return {
    v: 1,
    terminalId,
    batchId: randomUUID(),
    sentAt: '2026-11-24T08:00:00.000+09:00',
    taps: [
      {
        seq,
        card: { tech: 'mifare', id: '04A2B3C4' },
        workerId: '880012',
        direction: 'in',
        at: '2026-11-24T07:42:10.000+09:00',
        bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
        mono: 1000 + seq,
        clockSynced: true,
        flags: [],
      },
    ],
  } as unknown as TapBatch;
}

/** Replaces the value at a random path of a valid batch with anything at all. */
const mutatedBatch = fc
  .tuple(
    fc.integer({ min: 1, max: 1_000_000 }),
    fc.constantFrom(
      ['v'],
      ['terminalId'],
      ['batchId'],
      ['sentAt'],
      ['taps'],
      ['taps', 0],
      ['taps', 0, 'seq'],
      ['taps', 0, 'card'],
      ['taps', 0, 'card', 'tech'],
      ['taps', 0, 'card', 'id'],
      ['taps', 0, 'workerId'],
      ['taps', 0, 'direction'],
      ['taps', 0, 'at'],
      ['taps', 0, 'bootId'],
      ['taps', 0, 'mono'],
      ['taps', 0, 'clockSynced'],
      ['taps', 0, 'flags'],
      ['extra'],
    ),
    fc.jsonValue(),
  )
  .map(([seq, path, value]) => {
    const batch = validBatch(seq) as unknown as Record<string, unknown>;
    let target: Record<string | number, unknown> = batch;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    target[path.at(-1) as string | number] = value;
    return Buffer.from(JSON.stringify(batch));
  });

const payloads = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ maxLength: 500 }).map((text) => Buffer.from(text)),
  fc.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  mutatedBatch,
  mutatedBatch,
);

describe('fuzzed MQTT tap payloads', () => {
  const dir = tempDir('fuzz-mqtt');
  let store: ServerStore;

  beforeAll(() => {
    const seeded = storeWithSite(dir.path);
    store = seeded.store;
    store.directory.createTerminal({ terminalId, tenantId: 't1', siteId: seeded.siteId });
  });

  afterAll(() => {
    store.close();
    dir.remove();
  });

  it('answers every one: stored when valid, otherwise refused with a reason and quarantined with size, hash and first bytes', async () => {
    const deps = { stores: store, log: pino({ level: 'silent' }), now: () => new Date('2026-11-24T00:00:00Z') };
    let refused = 0;
    const count = store.db.raw.prepare('SELECT coalesce(max(id), 0) FROM quarantine').pluck();
    const last = store.db.raw.prepare('SELECT head, size, sha256 FROM quarantine ORDER BY id DESC LIMIT 1');
    await fc.assert(
      fc.asyncProperty(payloads, async (payload) => {
        const before = count.get() as number;
        const result = await ingestTapBatch(deps, terminalId, topic, payload);
        if (result.ack.error === null) {
          // A mutation that kept the batch valid (e.g. another valid card id): stored and acked.
          expect(result.ack.accepted).not.toBeNull();
          return;
        }
        refused++;
        expect(result.ack.error.message.length).toBeGreaterThan(5);
        expect(count.get()).toBe(before + 1);
        const kept = last.get() as { head: Buffer; size: number; sha256: string };
        expect(Buffer.compare(kept.head, payload.subarray(0, 4096))).toBe(0);
        expect(kept.size).toBe(payload.length);
        expect(kept.sha256).toBe(createHash('sha256').update(payload).digest('hex'));
      }),
      { numRuns: 3_000, seed: 20261124 },
    );
    expect(refused).toBeGreaterThan(2_500);
    // Still in service: a good batch is stored, and the quarantine stayed within the terminal's quota.
    const good = await ingestTapBatch(deps, terminalId, topic, Buffer.from(JSON.stringify(validBatch(2_000_000))));
    expect(good.ack).toMatchObject({ error: null, accepted: { from: 2_000_000, to: 2_000_000 } });
    const kept = store.db.raw.prepare('SELECT count(*) AS n, sum(kept_bytes) AS bytes FROM quarantine').get() as {
      n: number;
      bytes: number;
    };
    expect(kept.n).toBeLessThanOrEqual(1000);
    expect(kept.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});

describe('fuzzed HTTP requests', () => {
  const dir = tempDir('fuzz-http');
  let f: ApiFixture;

  beforeAll(() => {
    f = apiFixture(dir.path);
  });

  afterAll(() => {
    f.close();
    dir.remove();
  });

  const snapshot = (): string => {
    const db = f.store.db.raw;
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]
    )
      .map((t) => t.name)
      .filter((name) => name !== 'audit_log');
    return JSON.stringify(tables.map((name) => [name, db.prepare(`SELECT * FROM ${name}`).all()]));
  };

  const writes = [
    ['POST', '/api/v1/workers'],
    ['POST', '/api/v1/sites'],
    ['POST', '/api/v1/corrections'],
    ['PATCH', '/api/v1/workers/11110000000001'],
    ['PATCH', '/api/v1/sites/20260000000001'],
    ['PUT', '/api/v1/terminals/gate-a/settings'],
    ['POST', '/api/v1/workers/11110000000001/cards'],
    ['PUT', '/api/v1/sites/20260000000001/roster/11110000000001'],
    ['PUT', '/api/v1/sites/20260000000001/companies/90000000000009'],
    ['POST', '/api/v1/tokens'],
    ['POST', '/api/v1/sites/20260000000001/ccus/registration'],
    ['POST', '/api/v1/sites/20260000000001/ccus/roster/import'],
  ] as const;

  /** Bodies that are almost right: a known field set to anything, or junk. */
  const bodies = fc.oneof(
    fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
    fc.string({ maxLength: 300 }),
    fc
      .record(
        {
          workerId: fc.oneof(fc.string(), fc.integer(), fc.constant('1'.repeat(15))),
          name: fc.oneof(fc.string(), fc.constant(''), fc.integer()),
          kind: fc.constantFrom('add_day', 'set_times', 'confirm_clock', 'delete', 7),
          siteId: fc.oneof(fc.string(), fc.constant('20260000000001')),
          workingDay: fc.oneof(fc.string(), fc.constant('2026-02-30'), fc.constant('2026-11-20')),
          firstIn: fc.oneof(fc.string(), fc.constant('2026-11-20T25:00:00+09:00')),
          card: fc.oneof(fc.string(), fc.constant('ZZZZ')),
          directionMode: fc.string(),
          tier: fc.oneof(fc.integer(), fc.double()),
          role: fc.constantFrom('operator', 'root', 'admin'),
          workerIds: fc.oneof(fc.array(fc.string()), fc.constant(['11110000000001']), fc.string()),
          digest: fc.oneof(fc.string(), fc.integer()),
        },
        { requiredKeys: [] },
      )
      .map((body) => JSON.stringify(body)),
  );

  it('refuses every bad body with a problem naming what was wrong, never a 500, and changes nothing', async () => {
    const rss = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), bodies, async ([method, path], body) => {
        const before = snapshot();
        const response = await f.call(f.a.admin, method, path, body);
        expect(response.status).not.toBe(500);
        if (response.status >= 400) {
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          const problem = (await response.json()) as { detail: string };
          expect(problem.detail.length).toBeGreaterThan(5);
          expect(snapshot()).toBe(before);
        }
      }),
      { numRuns: 2_000, seed: 20261124 },
    );
    // Still in service, memory bounded: a good change goes through after the fuzz.
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
    const added = await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: '77770000000007', name: '後 の人' });
    expect(added.status).toBe(201);
  });

  it('refuses bad query strings with a problem, never a 500', async () => {
    const query = fc.dictionary(
      fc.constantFrom(
        'limit',
        'offset',
        'month',
        'from',
        'to',
        'siteId',
        'state',
        'workerId',
        'withinDays',
        'encoding',
      ),
      fc.oneof(fc.string(), fc.integer().map(String), fc.constant('-1'), fc.constant('1e9')),
    );
    const paths = [
      '/api/v1/records',
      '/api/v1/taps',
      '/api/v1/records/at-risk',
      '/api/v1/exports/kentaikyo',
      '/api/v1/corrections',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), query, async (path, params) => {
        const response = await f.call(f.a.viewer, 'GET', `${path}?${new URLSearchParams(params)}`);
        // 404: a well-formed site id that is not the caller's.
        expect([200, 400, 404]).toContain(response.status);
      }),
      { numRuns: 1_000, seed: 20261124 },
    );
  });
});
