/**
 * The working day a moment belongs to, as `YYYY-MM-DD`, in the site's time zone.
 *
 * A working day runs from the day boundary (default 04:00) to the next one, so a night
 * shift that leaves at 02:00 still belongs to the day it entered on. Both the terminal
 * (toggle direction) and the server (work records) use this one rule so they agree.
 * The machine's own time zone never matters: a Pi often runs in UTC.
 */
export interface WorkingDayRule {
  timeZone: string;
  /** `HH:MM` */
  dayBoundary: string;
}

export const DEFAULT_WORKING_DAY_RULE: WorkingDayRule = { timeZone: 'Asia/Tokyo', dayBoundary: '04:00' };

/**
 * The calendar date (`YYYY-MM-DD`) of an instant in a time zone: the one step of the rule that
 * needs the zone's data. ICU's date formatter is the default; a terminal, which is one site in one
 * process, passes its own (see the firmware's `processZoneCalendarDate`) because the formatter
 * costs it several MiB of resident memory. Both read the same ICU zone rules.
 */
export type CalendarDateIn = (at: Date, timeZone: string) => string;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function boundaryMinutes(dayBoundary: string): number {
  const [hours, minutes] = dayBoundary.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

/** The calendar date through ICU's date formatter: en-CA formats as YYYY-MM-DD. */
export const intlCalendarDate: CalendarDateIn = (at, timeZone) => formatterFor(timeZone).format(at);

export function workingDay(
  at: Date,
  rule: WorkingDayRule = DEFAULT_WORKING_DAY_RULE,
  calendarDate: CalendarDateIn = intlCalendarDate,
): string {
  const shifted = new Date(at.getTime() - boundaryMinutes(rule.dayBoundary) * 60_000);
  return calendarDate(shifted, rule.timeZone);
}

/** The last calendar day of the month after the working day: CCUS's input deadline. */
export function ccusDeadline(day: string): string {
  const [year, month] = day.split('-').map(Number) as [number, number];
  // Day 0 of the month after next is the last day of next month.
  const last = new Date(Date.UTC(year, month + 1, 0));
  // Written out, not toISOString: a day in year 9999 (a clock gone wrong) has its deadline in 10000.
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  return `${pad(last.getUTCFullYear(), 4)}-${pad(last.getUTCMonth() + 1, 2)}-${pad(last.getUTCDate(), 2)}`;
}

/** Today's date in Japan, where CCUS's deadlines fall, as YYYY-MM-DD. */
export function ccusToday(now: Date): string {
  return workingDay(now, { timeZone: 'Asia/Tokyo', dayBoundary: '00:00' });
}

/**
 * `workingDay` for many moments under one rule, each minute worked out once. Exact: day
 * boundaries and time-zone offsets fall on whole minutes, so a minute never spans two days.
 * (Formatting a date in a time zone is the costly part of storing a batch of taps.)
 */
export function workingDayCache(rule: WorkingDayRule): { of(at: string | Date): string } {
  const days = new Map<number, string>();
  return {
    of(at) {
      const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
      const minute = Math.floor(ms / 60_000);
      let day = days.get(minute);
      if (day === undefined) {
        if (days.size >= 10_000) days.clear();
        day = workingDay(new Date(ms), rule);
        days.set(minute, day);
      }
      return day;
    },
  };
}
