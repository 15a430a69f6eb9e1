import { parseCardRef, parseTerminalId, parseWorkerId } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * A scan of the 建キャリ app's QR code names its worker. The server gives the tap to that
 * worker only when a tenant that sees the site has them on its books, and never binds a QR
 * code as if it were a card.
 */
describe('taps by QR code', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  const get = async (token: string, path: string) =>
    (await f.call(token, 'GET', path)).json() as Promise<Record<string, unknown>>;

  beforeEach(() => {
    dir = tempDir('qr-taps');
    f = apiFixture(dir.path);
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  it("make the worker's record at a site whose tenant has them, like a card", () => {
    f.tap(f.a.terminalId, [
      {
        card: parseCardRef(f.a.worker, 'qr'),
        workerId: f.a.worker,
        direction: 'in',
        at: '2026-11-23T08:00:00.000+09:00',
      },
      { card: f.a.card, workerId: f.a.worker, direction: 'out', at: '2026-11-23T17:30:00.000+09:00' },
    ]);
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.a.worker, workingDay: '2026-11-23' }),
    ).toMatchObject({ firstIn: '2026-11-23T08:00:00.000+09:00', lastOut: '2026-11-23T17:30:00.000+09:00' });
  });

  it('stay unknown at a site whose tenants do not have the worker, and become theirs once added', async () => {
    // B's worker scans at A's gate: A does not have them, and B's books are not A's.
    const scan = parseCardRef(f.b.worker, 'qr');
    f.tap(f.a.terminalId, [{ card: scan, workerId: null, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' }]);
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.b.worker, workingDay: '2026-11-23' }),
    ).toBeNull();
    const unknown = (await get(f.a.viewer, `/api/v1/unknown-cards?siteId=${f.a.siteId}`)) as {
      unknownCards: { card: { tech: string; id: string } }[];
    };
    expect(unknown.unknownCards.map((c) => c.card)).toContainEqual({ tech: 'qr', id: f.b.worker });
    // A QR code is not a card to bind: the API says which field is wrong, and nothing changes.
    const bind = await f.call(f.a.admin, 'POST', `/api/v1/workers/${f.a.worker}/cards`, {
      card: f.b.worker,
      tech: 'qr',
    });
    expect(bind.status).toBe(400);
    expect(await bind.text()).toContain('tech');
    expect(() => f.store.directory.addCard(scan, f.a.worker)).toThrow(/QR code names its worker/);
    // A adds the worker (they work for A too): the scan becomes their record at A's site.
    const added = await f.call(f.a.admin, 'POST', '/api/v1/workers', { workerId: f.b.worker, name: 'QR の人' });
    expect(added.status).toBe(201);
    f.store.records.rebuildQueued(100);
    expect(
      f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: f.b.worker, workingDay: '2026-11-23' }),
    ).toMatchObject({ firstIn: '2026-11-23T08:00:00.000+09:00' });
    // B's own site is untouched by any of it.
    expect(JSON.stringify(await get(f.b.viewer, `/api/v1/unknown-cards?siteId=${f.b.siteId}`))).not.toContain(
      f.b.worker,
    );
  });

  it('never take a scanned worker ID as a MIFARE UID of the same digits', () => {
    const digits = parseWorkerId('10000000000099');
    f.store.directory.addWorker({ workerId: digits, tenantId: f.a.tenantId, name: 'digits' });
    f.tap(f.a.terminalId, [
      { card: parseCardRef(digits, 'mifare'), workerId: null, direction: 'in', at: '2026-11-23T08:00:00.000+09:00' },
    ]);
    f.store.records.rebuildQueued(100);
    expect(f.store.queries.recordByKey({ siteId: f.a.siteId, workerId: digits, workingDay: '2026-11-23' })).toBeNull();
  });
});

describe('rosters for terminals that read QR codes', () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;
  beforeEach(() => {
    dir = tempDir('qr-roster');
    f = apiFixture(dir.path);
  });
  afterEach(() => {
    f.close();
    dir.remove();
  });

  it('carry the workers who have no card, by their ID, and only to terminals whose profile reads QR codes', () => {
    const cardless = parseWorkerId('30000000000003');
    f.store.directory.addWorker({ workerId: cardless, tenantId: f.a.tenantId, name: 'カードなし' });
    f.store.directory.addToRoster(f.a.siteId, cardless);
    const plain = f.store.directory.rosterFor(f.a.siteId);
    expect(plain.entries.some((entry) => entry.workerId === cardless)).toBe(false);
    const withQr = f.store.directory.rosterFor(f.a.siteId, { qrCodes: true });
    expect(withQr.entries).toContainEqual({ card: { tech: 'qr', id: cardless }, workerId: cardless });
    // A worker with a card is there by the card only: the gate finds their QR code through it.
    expect(
      withQr.entries.filter((entry) => entry.workerId === f.a.worker).map((entry) => entry.card.tech),
    ).not.toContain('qr');
    expect(f.store.directory.readsQrCodes(f.a.terminalId)).toBe(false);
    const qrGate = parseTerminalId('gate-a-qr');
    f.store.directory.createTerminal({
      terminalId: qrGate,
      tenantId: f.a.tenantId,
      siteId: f.a.siteId,
      hardwareProfile: 'pi-pn532-qr',
    });
    expect(f.store.directory.readsQrCodes(qrGate)).toBe(true);
  });
});
