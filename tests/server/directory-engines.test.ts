import { type CardRef, parseWorkerId, type SiteId, type TerminalId } from '@ccus-gate/protocol';
import { DirectoryStore, type EngineKind, execute, rows, type StoreEngine } from '@ccus-gate/server';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, StoreEngines } from '../support/store-engines.js';

const RULE = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };
const prime = { tenantId: 'tenant-a', companyId: '90000000000001', name: 'A 建設' };
const sub = { tenantId: 'tenant-b', companyId: '90000000000002', name: 'B 工業' };
const stranger = { tenantId: 'tenant-c', companyId: '90000000000003', name: 'C 組' };
const SITE = 'site-a' as SiteId;
const OTHER_SITE = 'site-a2' as SiteId;
const W1 = parseWorkerId('11110000000001');
const W2 = parseWorkerId('11110000000002');
const CARD: CardRef = { tech: 'felica', id: '0123456789ABCDEF' } as CardRef;

/** Refused with this code, on either engine (SQLite throws at once, PostgreSQL rejects). */
const refused = (call: () => unknown) => expect(Promise.resolve().then(call)).rejects;

/**
 * The directory (accounts and sessions, sites and their structure, workers and cards, rosters,
 * terminals and leases) on both engines, through the same code: what a contractor and the
 * operator do, and what one tenant must never see of another's.
 */
describe.each(ENGINES)('the directory on %s', (kind: EngineKind) => {
  const engines = new StoreEngines();
  const clock = { value: new Date('2026-11-24T03:00:00.000Z') };
  let engine: StoreEngine;
  let books: DirectoryStore;

  beforeEach(async () => {
    clock.value = new Date('2026-11-24T03:00:00.000Z');
    engine = await engines.open(kind, () => clock.value);
    books = new DirectoryStore(engine);
    for (const tenant of [prime, sub, stranger]) await books.createTenant(tenant);
    await books.createSite({ siteId: SITE, tenantId: prime.tenantId, name: '現場 A', rule: RULE });
    await books.createSite({ siteId: OTHER_SITE, tenantId: prime.tenantId, name: '現場 A2', rule: RULE });
  });
  afterEach(() => engines.closeEngines());
  afterAll(() => engines.close());

  it('keeps tokens, users and sessions: logins one regardless of case, a new password ends sessions', async () => {
    await refused(() => books.createTenant({ ...stranger, tenantId: 'tenant-d' })).toMatchObject({
      code: 'conflict',
      field: 'tenantId',
    });
    const token = await books.createApiToken(prime.tenantId, 'admin', 'CI');
    expect(await books.tokenOwner(token)).toEqual({ ...prime, name: undefined, role: 'admin', label: 'CI' });
    const operator = await books.createApiToken(null, 'operator', 'fleet');
    expect(await books.tokenOwner(operator)).toMatchObject({ tenantId: null, companyId: null, role: 'operator' });
    const [listed] = await books.tokens(prime.tenantId);
    expect(await books.tokens(null)).toHaveLength(1);
    await books.revokeToken(prime.tenantId, listed?.id as string);
    expect(await books.tokenOwner(token)).toBeNull();
    await refused(() => books.revokeToken(prime.tenantId, listed?.id as string)).toMatchObject({ code: 'not_found' });

    const user = await books.createUser(prime.tenantId, {
      login: 'Yamada',
      name: '山田',
      role: 'admin',
      passwordHash: 'h1',
    });
    await refused(() =>
      books.createUser(sub.tenantId, { login: 'yamada', name: '別人', role: 'viewer', passwordHash: 'h2' }),
    ).toMatchObject({ code: 'conflict', field: 'login' });
    expect(await books.userForSignIn('YAMADA')).toMatchObject({
      userId: user.userId,
      passwordHash: 'h1',
      totpSecret: null,
    });
    await books.setTotp(prime.tenantId, user.userId, 'JBSWY3DPEHPK3PXP');
    expect(await books.users(prime.tenantId)).toMatchObject([{ login: 'Yamada', twoFactor: true, sites: null }]);
    expect(await books.useTotpStep(user.userId, 100)).toBe(true);
    expect(await books.useTotpStep(user.userId, 100)).toBe(false);

    const { token: session } = await books.createSession(user.userId, 60_000);
    expect(await books.session(session)).toMatchObject({ userId: user.userId, companyId: prime.companyId });
    await books.setPassword(prime.tenantId, user.userId, 'h3');
    expect(await books.session(session)).toBeNull();
    const { token: again } = await books.createSession(user.userId, 60_000);
    clock.value = new Date(clock.value.getTime() + 61_000);
    expect(await books.session(again)).toBeNull();

    const fleet = await books.createOperatorSession(operator, 60_000);
    expect(await books.operatorSession(fleet?.token as string)).toEqual({ label: 'fleet' });
    expect(
      await books.createOperatorSession(await books.createApiToken(sub.tenantId, 'admin', 'x'), 60_000),
    ).toBeNull();
  });

  it('shows a subcontractor only the sites it is placed on, and a user only the sites they are limited to', async () => {
    await refused(() =>
      books.createSite({ siteId: SITE, tenantId: sub.tenantId, name: 'dup', rule: RULE }),
    ).toMatchObject({ code: 'conflict' });
    await refused(() =>
      books.createSite({ siteId: 'x' as SiteId, tenantId: 'nobody', name: 'x', rule: RULE }),
    ).toMatchObject({
      code: 'invalid',
    });
    expect(await books.sites(sub)).toEqual([]);
    await books.putSiteCompany(prime, SITE, { ...sub, tier: 1, parentCompanyId: prime.companyId });
    await refused(() =>
      books.putSiteCompany(prime, SITE, { ...stranger, tier: 3, parentCompanyId: sub.companyId }),
    ).toMatchObject({ code: 'invalid', field: 'tier' });
    await books.putSiteCompany(prime, SITE, { ...stranger, tier: 2, parentCompanyId: sub.companyId });
    expect(await books.sites(sub)).toMatchObject([{ siteId: SITE, access: 'sub' }]);
    expect(await books.site(prime, SITE)).toMatchObject({
      access: 'prime',
      primeCompanyId: prime.companyId,
      companies: [
        { companyId: sub.companyId, tier: 1 },
        { companyId: stranger.companyId, tier: 2 },
      ],
    });
    await refused(() => books.removeSiteCompany(prime, SITE, sub.companyId)).toMatchObject({ code: 'conflict' });
    await refused(() => books.updateSite(sub, SITE, { name: 'x' })).toMatchObject({ code: 'forbidden' });

    // A user limited to one site sees that one; limited to none, none.
    expect((await books.sites({ ...prime, sites: [OTHER_SITE] })).map((s) => s.siteId)).toEqual([OTHER_SITE]);
    expect(await books.sites({ ...prime, sites: [] })).toEqual([]);
    expect(await books.siteAccess({ ...prime, sites: [OTHER_SITE] }, SITE)).toBeNull();
    const user = await books.createUser(prime.tenantId, {
      login: 'site-only',
      name: '現場',
      role: 'viewer',
      passwordHash: 'h',
    });
    await refused(() => books.limitUserToSites(prime, user.userId, ['site-of-nobody'])).toMatchObject({
      code: 'not_found',
      field: 'sites',
    });
    await books.limitUserToSites(prime, user.userId, [SITE, SITE]);
    expect((await books.users(prime.tenantId))[0]?.sites).toEqual([SITE]);
  });

  it('keeps each tenant its own workers and cards, resolves a bound card’s and a QR code’s waiting taps', async () => {
    // Taps of a card, and of a QR code, before anyone knew whose they were.
    await engine.run(
      (function* () {
        for (const [seq, card] of [CARD, { tech: 'qr', id: W2 }].entries()) {
          yield* execute(
            engine.db.insertInto('taps').values({
              terminal_id: 'gate',
              seq: seq + 1,
              site_id: SITE,
              tech: card.tech,
              card_id: card.id,
              direction: 'in',
              at: '2026-11-24T08:00:00.000+09:00',
              at_ms: Date.parse('2026-11-24T08:00:00.000+09:00'),
              working_day: '2026-11-24',
              received_at: '2026-11-24T08:00:01.000+09:00',
              boot_id: 'boot-1',
              mono: seq,
              clock_synced: 1,
              flags: '[]',
            }),
          );
        }
      })(),
    );
    await books.addWorker({ workerId: W1, tenantId: prime.tenantId, name: '技能者 1', trades: ['とび', '鉄筋'] });
    await books.addWorker({ workerId: W1, tenantId: sub.tenantId, name: 'B の 1' });
    await refused(() => books.addWorker({ workerId: W1, tenantId: prime.tenantId, name: 'again' })).toMatchObject({
      code: 'conflict',
      field: 'workerId',
    });
    expect(await books.addCard(CARD, W1, prime)).toEqual({ sites: [], resolvedTaps: 1 });
    await refused(() => books.addCard(CARD, W1, prime)).toMatchObject({ code: 'conflict', field: 'card' });
    // The QR code's tap is the worker's once they are on the books.
    await books.addWorker({ workerId: W2, tenantId: prime.tenantId, name: '技能者 2' });
    const resolved = await engine.run(
      rows(engine.db.selectFrom('taps').select(['card_id', 'worker_id']).orderBy('seq')),
    );
    expect(resolved).toEqual([
      { card_id: CARD.id, worker_id: W1 },
      { card_id: W2, worker_id: W2 },
    ]);

    expect(await books.worker(prime, W1)).toMatchObject({ name: '技能者 1', trades: ['とび', '鉄筋'], cards: [CARD] });
    expect(await books.worker(sub, W1)).toMatchObject({ name: 'B の 1', cards: [] });
    await refused(() => books.worker(stranger, W1)).toMatchObject({ code: 'not_found' });
    expect((await books.workers(prime, { limit: -1, offset: 0 })).map((w) => w.workerId)).toEqual([W1, W2]);
    expect((await books.workers(prime, { limit: 1, offset: 1 })).map((w) => w.workerId)).toEqual([W2]);
    expect((await books.ownWorkers(prime, [W2, W1, 'none'])).map((w) => w.workerId)).toEqual([W2, W1]);
    await books.updateWorker(prime, W1, { trade: '鉄筋', position: 'foreman' });
    expect(await books.worker(prime, W1)).toMatchObject({ trades: ['鉄筋'], position: 'foreman' });
    await refused(() => books.updateWorker(stranger, W1, { name: 'x' })).toMatchObject({ code: 'not_found' });
    await refused(() => books.removeCard(sub, CARD)).toMatchObject({ code: 'not_found' });
  });

  it('places workers on a roster all or nothing, and sends a terminal card IDs, never names', async () => {
    await books.putSiteCompany(prime, SITE, { ...sub, tier: 1, parentCompanyId: prime.companyId });
    await books.addWorker({ workerId: W1, tenantId: prime.tenantId, name: '技能者 1', trades: ['とび'] });
    await books.addWorker({ workerId: W2, tenantId: sub.tenantId, name: 'B の 2', employerCompanyId: sub.companyId });
    await books.addCard(CARD, W1, prime);
    const before = (await books.site(prime, SITE)).rosterVersion;

    // The second entry is bad: nothing of the first is kept either.
    await refused(() => books.loadRoster(prime, SITE, [{ workerId: W1 }, { workerId: W1 }])).toMatchObject({
      code: 'invalid',
      field: 'entries.1.workerId',
    });
    expect(await books.roster(prime, SITE)).toEqual([]);
    await refused(() => books.loadRoster(prime, SITE, [{ workerId: W1, trade: '左官' }])).toMatchObject({
      code: 'invalid',
      field: 'trade',
    });

    expect(await books.loadRoster(prime, SITE, [{ workerId: W1, position: 'foreman' }])).toMatchObject({ added: 1 });
    await books.addToRoster(SITE, W2, { workContent: '足場' }, sub);
    await refused(() => books.addToRoster(SITE, W1, {}, stranger)).toMatchObject({ code: 'not_found' });
    expect(await books.roster(prime, SITE)).toMatchObject([
      { workerId: W1, position: 'foreman', cards: 1 },
      { workerId: W2, workContent: '足場', cards: 0 },
    ]);
    // A subcontractor sees its own employees' places only.
    expect((await books.roster(sub, SITE)).map((e) => e.workerId)).toEqual([W2]);
    expect(await books.rosterEntry(prime, SITE, W2)).toMatchObject({ name: 'B の 2' });

    const roster = await books.rosterFor(SITE, { qrCodes: true });
    expect((await books.site(prime, SITE)).rosterVersion).toBeGreaterThan(before);
    expect(roster.entries).toEqual([
      { card: CARD, workerId: W1 },
      { card: { tech: 'qr', id: W2 }, workerId: W2 },
    ]);
    expect(JSON.stringify(roster)).not.toContain('技能者');

    expect(await books.loadRoster(prime, SITE, [], { removeUnlisted: true })).toMatchObject({ removed: 1 });
    expect((await books.roster(prime, SITE)).map((e) => e.workerId)).toEqual([W2]);
    expect(await books.removeWorker(sub, W2)).toEqual([SITE]);
    expect(await books.roster(prime, SITE)).toEqual([]);
  });

  it('leases a terminal, sends it its config, and keeps its earlier leases; a new tenant starts from the defaults', async () => {
    const id = 'gate-1' as TerminalId;
    const secret = await books.createTerminal({ terminalId: id, tenantId: prime.tenantId, siteId: SITE });
    await refused(() => books.createTerminal({ terminalId: id })).toMatchObject({ code: 'conflict' });
    expect(await books.terminalSecretMatches(id, secret)).toBe(true);
    expect(await books.terminalsAtSite(SITE)).toEqual([id]);
    const first = await books.configFor(id);
    expect(first).toMatchObject({ siteId: SITE, timeZone: 'Asia/Tokyo', directionMode: 'toggle' });

    await books.setTerminalSettings(prime, id, {
      directionMode: 'in-only',
      debounceSeconds: 5,
      unknownCard: 'reject',
      retentionDays: 30,
    } as never);
    await refused(() => books.setTerminalSettings(sub, id, {} as never)).toMatchObject({ code: 'not_found' });
    expect(await books.updateSite(prime, SITE, { rule: { ...RULE, dayBoundary: '05:00' } })).toEqual([id]);
    const changed = await books.configFor(id);
    expect(changed).toMatchObject({ dayBoundary: '05:00', directionMode: 'in-only' });
    expect(changed?.version).toBeGreaterThan(first?.version as number);

    clock.value = new Date('2026-11-25T03:00:00.000Z');
    await books.lease(id, {
      tenantId: prime.tenantId,
      siteId: OTHER_SITE,
      from: clock.value.toISOString(),
      until: null,
    });
    // The same tenant keeps its settings at another site.
    expect(await books.configFor(id)).toMatchObject({ siteId: OTHER_SITE, directionMode: 'in-only' });
    await books.createSite({ siteId: 'site-b' as SiteId, tenantId: sub.tenantId, name: 'B', rule: RULE });
    clock.value = new Date('2026-11-26T03:00:00.000Z');
    expect(
      await books.lease(id, {
        tenantId: sub.tenantId,
        siteId: 'site-b' as SiteId,
        from: clock.value.toISOString(),
        until: null,
      }),
    ).toEqual({ previousTenantId: prime.tenantId });
    expect(await books.configFor(id)).toMatchObject({ siteId: 'site-b', directionMode: 'toggle' });
    const assignment = await books.terminal(id);
    expect(assignment?.earlier.map((lease) => lease.siteId)).toEqual([SITE, OTHER_SITE]);
    expect(await books.terminals(prime)).toEqual([]);
    expect((await books.terminals(null)).map((t) => t.terminalId)).toEqual([id]);

    await books.endLease(id);
    expect(await books.configFor(id)).toBeNull();
    expect(await books.brokerAccounts()).toMatchObject([{ username: id }]);
    const rotated = await books.rotateTerminalSecret(id);
    expect(await books.terminalSecretMatches(id, secret)).toBe(false);
    expect(await books.terminalSecretMatches(id, rotated)).toBe(true);
  });
});
