import { join } from 'node:path';
import { type CardRef, parseSiteId, type SiteId, type TerminalId, type WorkerId } from '@ccus-gate/protocol';
import { ServerStore, type StoreEngine } from '@ccus-gate/server';

/** A server store in `dir` with tenant `t1` and its site `11` (Asia/Tokyo, day from 04:00). */
export function storeWithSite(
  dir: string,
  options: { file?: string; now?: () => Date } = {},
): { store: ServerStore; siteId: SiteId } {
  const store = ServerStore.open(join(dir, options.file ?? 'server.db'), options.now);
  store.directory.createTenant({ tenantId: 't1', companyId: '1', name: 'one' });
  const siteId = parseSiteId('11');
  store.directory.createSite({
    siteId,
    tenantId: 't1',
    name: 's',
    rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
  });
  return { store, siteId };
}

/** Tenant `t1` as its own queries see it. */
export const T1 = { tenantId: 't1', companyId: '1' };

/**
 * A gate at tenant t1's site: the terminals leased there, and the workers on its roster with
 * their cards, each registered for とび.
 */
export function staffSite(
  store: ServerStore,
  siteId: SiteId,
  gate: { terminals: readonly TerminalId[]; workers: readonly { workerId: WorkerId; card: CardRef }[] },
): void {
  for (const terminalId of gate.terminals) store.directory.createTerminal({ terminalId, tenantId: 't1', siteId });
  for (const { workerId, card } of gate.workers) {
    store.directory.addWorker({ workerId, tenantId: 't1', name: `worker ${workerId}`, trades: ['とび'] });
    store.directory.addToRoster(siteId, workerId);
    store.directory.addCard(card, workerId);
  }
}

/**
 * As storeWithSite and staffSite at once, on a store of either engine: tenant t1, its site 11,
 * the gate's terminals leased there (their passwords returned, by terminal), its workers on
 * the roster with their cards.
 */
export async function seedGate(
  store: ServerStore<StoreEngine>,
  gate: { terminals: readonly TerminalId[]; workers: readonly { workerId: WorkerId; card: CardRef }[] },
): Promise<{ siteId: SiteId; passwords: Map<TerminalId, string> }> {
  const { directory } = store;
  await directory.createTenant({ tenantId: 't1', companyId: '1', name: 'one' });
  const siteId = parseSiteId('11');
  await directory.createSite({
    siteId,
    tenantId: 't1',
    name: 's',
    rule: { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' },
  });
  const passwords = new Map<TerminalId, string>();
  for (const terminalId of gate.terminals) {
    passwords.set(terminalId, await directory.createTerminal({ terminalId, tenantId: 't1', siteId }));
  }
  // As a contractor loads a big site: workers and roster in one import, cards in one transaction
  // (a benchmark seeds tens of thousands; one transaction each took minutes on PostgreSQL).
  const scope = { tenantId: 't1', companyId: '1' };
  await directory.importRoster(scope, siteId, {
    create: gate.workers.map(({ workerId }) => ({
      workerId,
      name: `worker ${workerId}`,
      trades: ['とび'],
      employerCompanyId: '1',
    })),
    update: [],
    places: gate.workers.map(({ workerId }) => ({ workerId })),
  });
  await store.engine.transaction(function* () {
    for (const { workerId, card } of gate.workers) yield* directory.addCardWork(card, workerId, scope);
  });
  return { siteId, passwords };
}
