import type { ServerStores } from '../store/server-stores.js';
import type { TenantScope } from '../store/tenant-scope.js';
import type { Worker } from '../store/worker-books.js';
import { type DayCounts, type LevelProgress, levelsFromCounts } from './level-progress.js';

export interface WorkerLevels {
  workerId: string;
  name: string;
  levels: LevelProgress;
}

/** Today in Japan: CCUS's days are Japanese calendar days. */
export function todayInJapan(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** Level progress for a page of workers, from one count of their days at the tenant's sites. */
export async function workerLevels(
  store: Pick<ServerStores, 'queries'>,
  scope: TenantScope,
  workers: readonly Worker[],
  today: string,
): Promise<WorkerLevels[]> {
  const counts = await store.queries.workingDays(scope, { workerIds: workers.map((w) => w.workerId), today });
  const none: DayCounts = { days: 0, leaderDays: 0, daysLastYear: 0, leaderDaysLastYear: 0 };
  return workers.map((worker) => {
    const mine = counts.filter((row) => row.workerId === worker.workerId);
    const all = mine.find((row) => row.trade === null) ?? none;
    const byTrade = new Map(mine.flatMap((row) => (row.trade === null ? [] : [[row.trade, row] as const])));
    return {
      workerId: worker.workerId,
      name: worker.name,
      levels: levelsFromCounts(all, byTrade, worker.trades, today),
    };
  });
}
