import { join } from 'node:path';
import { MIGRATIONS, ServerStore } from '@ccus-gate/server';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../support/temp-dir.js';

/**
 * A server upgraded in place: its database from before quarantine was bounded and scoped
 * (schema 9) keeps its entries, cut down, each given the tenant whose lease was in force
 * when it came; sessions lose their stored CSRF tokens.
 */
describe('upgrading a schema 9 database', () => {
  const dir = tempDir('quarantine-migration');
  afterEach(() => dir.remove());

  it('cuts quarantined payloads to their first 4 KiB and scopes them by the lease of their time', () => {
    const path = join(dir.path, 'server.db');
    const old = new Database(path);
    for (const migration of MIGRATIONS.slice(0, 9)) old.exec(migration);
    old.pragma('user_version = 9');
    old.exec(`
      INSERT INTO tenants VALUES ('tenant-a', '10000000000001', 'A', '2026-01-01T00:00:00.000Z');
      INSERT INTO tenants VALUES ('tenant-b', '10000000000002', 'B', '2026-01-01T00:00:00.000Z');
      INSERT INTO sites (site_id, tenant_id, name, time_zone, day_boundary, prime_company_id)
        VALUES ('20260000000001', 'tenant-a', 'a', 'Asia/Tokyo', '04:00', '10000000000001'),
               ('20260000000002', 'tenant-b', 'b', 'Asia/Tokyo', '04:00', '10000000000002');
      INSERT INTO terminals (terminal_id, tenant_id, site_id, secret_hash, created_at)
        VALUES ('gate-m', 'tenant-b', '20260000000002', 'x', '2026-01-01T00:00:00.000Z');
      INSERT INTO terminal_leases (terminal_id, tenant_id, site_id, lease_from, lease_until, created_at)
        VALUES ('gate-m', 'tenant-a', '20260000000001', '2026-01-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
               ('gate-m', 'tenant-b', '20260000000002', '2026-06-01T00:00:00.000Z', NULL, '2026-06-01T00:00:00.000Z');
      INSERT INTO users (user_id, tenant_id, login, name, role, password_hash, created_at)
        VALUES ('u1', 'tenant-a', 'a', 'A', 'admin', 'scrypt$x', '2026-01-01T00:00:00.000Z');
      INSERT INTO web_sessions VALUES ('hash', 'u1', 'plain-csrf-token', '2026-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z');
    `);
    const insert = old.prepare(
      'INSERT INTO quarantine (received_at, topic, client_id, code, reason, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    insert.run(
      '2026-03-01T00:00:00.000Z',
      'ccus/v1/t/gate-m/taps',
      'gate-m',
      'malformed',
      'no',
      Buffer.alloc(10_000, 'a'),
    );
    insert.run('2026-07-01T00:00:00.000Z', 'ccus/v1/t/gate-m/taps', 'gate-m', 'malformed', 'no', Buffer.from('b'));
    insert.run('2026-07-01T00:00:00.000Z', 'ccus/v1/other', null, 'invalid_topic', 'no', Buffer.from('c'));
    old.close();

    const store = ServerStore.open(path);
    try {
      const entries = store.quarantineLog.all();
      expect(entries.map((q) => [q.tenantId, q.size, q.head.length, q.sha256])).toEqual([
        ['tenant-a', 10_000, 4096, null],
        ['tenant-b', 1, 1, null],
        [null, 1, 1, null],
      ]);
      expect(
        store.quarantineLog.page({ tenantId: 'tenant-b', companyId: '10000000000002' }, { limit: 10, offset: 0 }),
      ).toHaveLength(1);
      const columns = store.db.raw.prepare(`SELECT name FROM pragma_table_info('web_sessions')`).pluck().all();
      expect(columns).not.toContain('csrf');
      // New entries count against the quotas the old ones already use.
      const usage = store.db.raw.prepare('SELECT * FROM quarantine_usage ORDER BY client_key').all();
      expect(usage).toEqual([
        { client_key: '', messages: 1, bytes: 1 + 'ccus/v1/other'.length + 2 },
        { client_key: 'gate-m', messages: 2, bytes: 4096 + 1 + 2 * ('ccus/v1/t/gate-m/taps'.length + 2) },
      ]);
    } finally {
      store.close();
    }
  });
});
