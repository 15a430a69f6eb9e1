import type { WorkerLevels } from '../workers/worker-levels.js';
import type { Cell, CsvTable } from './csv-export.js';

const COLUMNS = {
  en: [
    'worker_id',
    'name',
    'trade',
    'days',
    'leader_days',
    'days_last_12_months',
    'level',
    'next_level',
    'days_short',
    'leader_days_short',
    'expected_on',
  ],
  ja: [
    '技能者ID',
    '氏名',
    '職種',
    '就業日数',
    '職長・班長日数',
    '直近12か月の日数',
    'レベル',
    '次のレベル',
    '不足日数',
    '不足職長・班長日数',
    '到達見込み日',
  ],
} as const;

/** Level progress, a row per worker and trade: what the days allow, a lower bound of CCUS's own count. */
export function levelsCsv(rows: readonly WorkerLevels[], headers: 'en' | 'ja'): CsvTable {
  const lines: Cell[][] = [[...COLUMNS[headers]]];
  for (const row of rows) {
    for (const trade of row.levels.trades) {
      lines.push([
        row.workerId,
        row.name,
        trade.trade,
        trade.days,
        trade.leaderDays,
        trade.daysLastYear,
        trade.level,
        trade.next?.level ?? null,
        trade.next?.daysShort ?? null,
        trade.next?.leaderDaysShort ?? null,
        trade.next?.expectedOn ?? null,
      ]);
    }
  }
  return { lines, about: (line) => `worker ${String(line[0])} (${String(line[1])})` };
}
