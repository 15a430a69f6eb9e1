import { z } from 'zod';

/** A wall-clock instant in ISO 8601 with an explicit offset (Z or ±hh:mm), milliseconds allowed. */
export const WallTimeSchema = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 time with an offset, e.g. 2026-11-24T08:01:02.345+09:00',
});
export type WallTime = z.infer<typeof WallTimeSchema>;

export function isValidTimeZone(timeZone: string): boolean {
  // Canonical names are answered from ICU's list, without building a date formatter: that loads
  // locale data, several MiB resident on a terminal. Aliases (UTC, Asia/Calcutta...) still reach it.
  if (Intl.supportedValuesOf('timeZone').includes(timeZone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export const TimeZoneSchema = z.string().min(1).refine(isValidTimeZone, 'must be an IANA time zone, e.g. Asia/Tokyo');

/** `HH:MM`, 24-hour: when one working day ends and the next begins. */
export const DayBoundarySchema = z
  .string()
  .regex(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a time of day as HH:MM, e.g. 04:00');
