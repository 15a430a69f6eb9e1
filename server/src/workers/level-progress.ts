import { type LevelThreshold, thresholdsFor } from './level-thresholds.js';

/** Days counted for a worker in one trade (or in all): distinct calendar days. */
export interface DayCounts {
  days: number;
  /** Of those, days as 職長 (foreman) or 班長 (leader). */
  leaderDays: number;
  /** Days in the last 12 months: the pace projections go by. */
  daysLastYear: number;
  leaderDaysLastYear: number;
}

export interface TradeProgress extends DayCounts {
  trade: string;
  /** The highest level these days allow (1 when none). */
  level: 1 | 2 | 3;
  /** The next level, what it asks, and when the worker reaches it at their pace; null past level 3. */
  next: {
    level: 2 | 3;
    days: number;
    leaderDays: number;
    daysShort: number;
    leaderDaysShort: number;
    /** At the last 12 months' pace; null when that pace would never get there. */
    expectedOn: string | null;
  } | null;
}

export interface LevelProgress extends DayCounts {
  trades: TradeProgress[];
}

/** One record as level progress needs it. */
export interface DayWorked {
  workingDay: string;
  trade: string | null;
  position: string | null;
}

const LEADER_POSITIONS = new Set(['foreman', 'leader']);
const NONE: DayCounts = { days: 0, leaderDays: 0, daysLastYear: 0, leaderDaysLastYear: 0 };

const addDays = (day: string, n: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + Math.round(n) * 86_400_000).toISOString().slice(0, 10);

/**
 * A worker's level progress from their day counts: in all, and per trade (`byTrade`, with
 * every registered trade shown even without days). It is a lower bound: CCUS counts the
 * worker's days recorded through other systems too.
 */
export function levelsFromCounts(
  all: DayCounts,
  byTrade: ReadonlyMap<string, DayCounts>,
  registeredTrades: readonly string[],
  today: string,
): LevelProgress {
  const trades = new Map(byTrade);
  for (const trade of registeredTrades) if (!trades.has(trade)) trades.set(trade, NONE);
  return { ...all, trades: [...trades].map(([trade, counts]) => tradeLevel(trade, counts, today)) };
}

/** The same from the records themselves (the self-view, tests): each calendar day counts once. */
export function levelProgress(
  records: readonly DayWorked[],
  today: string,
  registeredTrades: readonly string[] = [],
): LevelProgress {
  const yearAgo = addDays(today, -365);
  const count = (list: readonly DayWorked[]): DayCounts => {
    const days = new Set<string>();
    const leader = new Set<string>();
    for (const r of list) {
      days.add(r.workingDay);
      if (r.position !== null && LEADER_POSITIONS.has(r.position)) leader.add(r.workingDay);
    }
    const recent = (set: Set<string>): number => [...set].filter((day) => day > yearAgo).length;
    return { days: days.size, leaderDays: leader.size, daysLastYear: recent(days), leaderDaysLastYear: recent(leader) };
  };
  const past = records.filter((r) => r.workingDay <= today);
  const byTrade = new Map<string, DayCounts>();
  for (const trade of new Set(past.flatMap((r) => (r.trade === null ? [] : [r.trade])))) {
    byTrade.set(trade, count(past.filter((r) => r.trade === trade)));
  }
  return levelsFromCounts(count(past), byTrade, registeredTrades, today);
}

export function tradeLevel(trade: string, counts: DayCounts, today: string): TradeProgress {
  const { days, leaderDays } = counts;
  const thresholds = thresholdsFor(trade);
  const reached = (t: LevelThreshold): boolean => days >= t.days && leaderDays >= t.leaderDays;
  const level = thresholds.filter(reached).reduce<1 | 2 | 3>((best, t) => Math.max(best, t.level) as 1 | 2 | 3, 1);
  const target = thresholds.find((t) => t.level > level);
  if (target === undefined) return { trade, ...counts, level, next: null };
  const daysShort = Math.max(0, target.days - days);
  const leaderDaysShort = Math.max(0, target.leaderDays - leaderDays);
  // At the last 12 months' pace, each count on its own: leader days come only as fast as they came.
  const wait = (short: number, perYear: number): number | null =>
    short === 0 ? 0 : perYear === 0 ? null : (short * 365) / perYear;
  const daysWait = wait(daysShort, counts.daysLastYear);
  const leaderWait = wait(leaderDaysShort, counts.leaderDaysLastYear);
  const expectedOn = daysWait === null || leaderWait === null ? null : addDays(today, Math.max(daysWait, leaderWait));
  return {
    trade,
    ...counts,
    level,
    next: {
      level: target.level,
      days: target.days,
      leaderDays: target.leaderDays,
      daysShort,
      leaderDaysShort,
      expectedOn,
    },
  };
}
