import { execute, type StoreEngine, type Work } from '@ccus-gate/server';

/**
 * A tenant, and its site when `siteId` is given, written straight into a fresh database of
 * either engine: the books a store-level suite needs before its own rows.
 */
export function* tenantWithSite(
  engine: StoreEngine,
  tenant: { tenantId: string; companyId: string; name?: string; siteId?: string; dayBoundary?: string },
): Work<void> {
  const name = tenant.name ?? `${tenant.tenantId} 建設`;
  yield* execute(
    engine.db
      .insertInto('tenants')
      .values({ tenant_id: tenant.tenantId, company_id: tenant.companyId, name, created_at: '2026-01-01T00:00:00Z' }),
  );
  if (tenant.siteId === undefined) return;
  yield* execute(
    engine.db.insertInto('sites').values({
      site_id: tenant.siteId,
      tenant_id: tenant.tenantId,
      name: `現場 ${name}`,
      day_boundary: tenant.dayBoundary ?? '04:00',
      time_zone: 'Asia/Tokyo',
    }),
  );
}
