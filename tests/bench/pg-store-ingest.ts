import { parseSiteId, parseTerminalId, type Tap, type TapBatch } from '@ccus-gate/protocol';
import { migratePostgres, PostgresEngine, TapStore } from '@ccus-gate/server';
import { tenantWithSite } from '../support/store-books.js';
import { rawTap } from './harness.js';

const SITE = parseSiteId('11');
const RULE = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };

/**
 * Ingest's store on PostgreSQL, without the broker: `servers` engines (each its own pool, as
 * each server process would have) store the same rows as rawPostgresInsertRate, in batches
 * of `batchSize` per terminal, the servers' terminals sent side by side. Every tap goes through
 * TapStore.storeBatch: card resolution, the batch's one INSERT, the record queue, one
 * transaction a batch. Taps/s.
 */
export async function pgStoreIngestRate(
  url: string,
  options: { count: number; batchSize: number; terminals: number; servers: number },
): Promise<number> {
  await migratePostgres(url);
  const engines = Array.from({ length: options.servers }, () => new PostgresEngine({ url, poolSize: 4 }));
  try {
    const first = engines[0] as PostgresEngine;
    await first.transaction(() => tenantWithSite(first, { tenantId: 't1', companyId: '1', siteId: SITE }));
    const batches: { terminalId: ReturnType<typeof parseTerminalId>; batch: TapBatch }[] = [];
    for (let done = 0, t = 0; done < options.count; done += options.batchSize, t++) {
      const terminalId = parseTerminalId(`gate-load-${String(t % options.terminals).padStart(3, '0')}`);
      const from = Math.floor(t / options.terminals) * options.batchSize + 1;
      const taps: Tap[] = [];
      for (let seq = from; seq < from + options.batchSize; seq++) {
        const { card, worker, direction, at } = rawTap(seq);
        taps.push({
          seq,
          card: { tech: 'mifare', id: card },
          workerId: worker,
          direction,
          at,
          bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
          mono: seq,
          clockSynced: true,
          flags: [],
        } as unknown as Tap);
      }
      batches.push({
        terminalId,
        batch: { v: 1, terminalId, batchId: crypto.randomUUID(), sentAt: at0(), taps } as unknown as TapBatch,
      });
    }
    const started = performance.now();
    await Promise.all(
      engines.map(async (engine, i) => {
        const taps = new TapStore(engine);
        for (const [n, { terminalId, batch }] of batches.entries()) {
          if (n % engines.length !== i) continue;
          await taps.storeBatch({ terminalId, tenantId: 't1', siteId: SITE, rule: RULE, earlier: [] }, batch);
        }
      }),
    );
    return options.count / ((performance.now() - started) / 1000);
  } finally {
    for (const engine of engines) await engine.close();
  }
}

const at0 = () => new Date().toISOString();
