import { join } from 'node:path';
import { parseSiteId, type SiteId } from '@ccus-gate/protocol';
import { ServerStore } from '@ccus-gate/server';

/** A server store in `dir` with tenant `t1` and its site `11` (Asia/Tokyo, day from 04:00). */
export function storeWithSite(dir: string): { store: ServerStore; siteId: SiteId } {
  const store = ServerStore.open(join(dir, 'server.db'));
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
