import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWorkerId, type WorkerId } from '@ccus-gate/protocol';
import { createHttpApi, listenHttp, type ServerStore } from '@ccus-gate/server';
import type { Hono } from 'hono';
import { storeWithSite } from '../support/server-fixture.js';
import { type Benchmark, figure, percentile } from './harness.js';

const WORKERS = 25_000;

const workerIds = (): WorkerId[] =>
  Array.from({ length: WORKERS }, (_, i) => parseWorkerId(String(40_000_000_000_000 + i)));

/** A site with 25,000 workers on tenant t1's books and none yet on its roster. */
function seeded(dir: string): { store: ServerStore; siteId: string; ids: WorkerId[] } {
  const { store, siteId } = storeWithSite(dir);
  const ids = workerIds();
  store.db.transaction(() => {
    for (const workerId of ids)
      store.directory.addWorker({ workerId, tenantId: 't1', name: `技能者 ${workerId}`, trades: ['とび'] });
  });
  return { store, siteId, ids };
}

/**
 * Loading a site roster of 25,000 workers (an import of the whole 作業員名簿) through
 * `PUT /api/v1/sites/{id}/roster` over real HTTP, next to raw inserts of as many rows into
 * the same table; and changing one place on that roster, next to one raw upsert.
 */
export const benchmark: Benchmark = {
  name: 'roster-load',
  description: 'a 25,000-worker site roster loaded in one request, and one place changed on it, over HTTP',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'bench-roster-'));
    try {
      // The floor: the same rows into the same table, one prepared statement, one transaction.
      const raw = seeded(join(dir, 'raw'));
      const insert = raw.store.db.raw.prepare(
        `INSERT INTO site_roster (site_id, worker_id, tenant_id, trade, position, work_content, period_from, period_until)
         VALUES (?, ?, 't1', 'とび', NULL, '足場組立', NULL, NULL)
         ON CONFLICT (site_id, worker_id) DO UPDATE SET trade = excluded.trade, work_content = excluded.work_content`,
      );
      let started = performance.now();
      raw.store.db.transaction(() => {
        for (const workerId of raw.ids) insert.run(raw.siteId, workerId);
      });
      const rawSeconds = (performance.now() - started) / 1000;
      const rawOne: number[] = [];
      for (let i = 0; i < 200; i++) {
        const at = performance.now();
        insert.run(raw.siteId, raw.ids[(i * 97) % WORKERS]);
        rawOne.push(performance.now() - at);
      }
      raw.store.close();

      const { store, siteId, ids } = seeded(join(dir, 'api'));
      const token = store.directory.createApiToken('t1', 'admin', 'bench');
      const http = await listenHttp(createHttpApi(store) as unknown as Hono, { host: '127.0.0.1', port: 0 });
      const call = async (method: string, path: string, body: unknown): Promise<Response> => {
        const response = await fetch(`${http.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
        return response;
      };
      started = performance.now();
      await call('PUT', `/api/v1/sites/${siteId}/roster`, {
        entries: ids.map((workerId) => ({ workerId, trade: 'とび', workContent: '足場組立' })),
      });
      const bulkSeconds = (performance.now() - started) / 1000;
      const one: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 200; i++) {
        const at = performance.now();
        const response = await call('PUT', `/api/v1/sites/${siteId}/roster/${ids[(i * 97) % WORKERS]}`, {
          trade: 'とび',
          position: i % 2 === 0 ? 'leader' : null,
        });
        bytes = (await response.text()).length;
        one.push(performance.now() - at);
      }
      await http.close();
      store.close();
      return [
        figure(
          `${WORKERS} roster places in one PUT over HTTP`,
          bulkSeconds,
          's',
          { metric: `raw inserts of ${WORKERS} rows, one transaction`, value: rawSeconds, unit: 's' },
          'a few seconds: < 5 s',
        ),
        figure(
          `one place changed on a ${WORKERS}-worker roster, p50 (answer ${bytes} bytes)`,
          percentile(one, 50),
          'ms',
          { metric: 'one raw upsert, p50', value: percentile(rawOne, 50), unit: 'ms' },
        ),
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
