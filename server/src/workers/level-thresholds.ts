/**
 * CCUS skill levels (能力評価, レベル1–4) by working days, as the evaluating bodies publish
 * them per trade (職種別能力評価基準, under 国土交通省「建設技能者の能力評価制度に関する告示」).
 * Sources, as kept in this repository's design notes (shared/design/DOMAIN.md):
 * - most trades: level 2 at 645 days (3 years of 215 days); level 3 at 1,505 days (7 years)
 *   with 215 days (1 year) as 職長 (foreman) or 班長 (leader);
 * - とび (scaffolding): level 3 at 1,720 days (8 years) with the same 215 leader days.
 * Level 4's thresholds vary by trade and were not confirmed: they are not computed. Levels
 * also ask for qualifications and training this project does not know of, so a level here
 * is what the days allow, never a level granted.
 */
export interface LevelThreshold {
  level: 2 | 3;
  /** Working days in the trade. */
  days: number;
  /** Of those, days as 職長 or 班長. */
  leaderDays: number;
}

export const DEFAULT_THRESHOLDS: readonly LevelThreshold[] = [
  { level: 2, days: 645, leaderDays: 0 },
  { level: 3, days: 1_505, leaderDays: 215 },
];

/** Trades whose published thresholds differ from the usual ones. */
export const TRADE_THRESHOLDS: Readonly<Record<string, readonly LevelThreshold[]>> = {
  とび: [
    { level: 2, days: 645, leaderDays: 0 },
    { level: 3, days: 1_720, leaderDays: 215 },
  ],
};

/** Days of work that make a year, as CCUS counts them. */
export const DAYS_PER_YEAR = 215;

export function thresholdsFor(trade: string): readonly LevelThreshold[] {
  return TRADE_THRESHOLDS[trade] ?? DEFAULT_THRESHOLDS;
}
