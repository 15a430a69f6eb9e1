import { isMainThread } from 'node:worker_threads';
import type { CalendarDateIn } from '@ccus-gate/protocol';

/** The site's zone was asked for where the process's TZ cannot be set. */
export class SiteZoneError extends Error {
  override readonly name = 'SiteZoneError';
  readonly code = 'not_main_thread';
  readonly timeZone: string;

  constructor(timeZone: string) {
    super(`the site time zone ${timeZone} can only be set on the main thread; a worker's TZ changes nothing`);
    this.timeZone = timeZone;
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * The calendar date of an instant in the site's time zone, read through this process's own local
 * time with TZ set to that zone.
 *
 * Why not ICU's date formatter (Intl.DateTimeFormat), as the server uses: building one loads
 * ICU's locale and pattern data, about 8 MiB that stay resident, against the terminal's 90 MB.
 * V8's local time reads only ICU's zone rules, the same rules, so both give the same dates (a
 * test compares them). The price is that it sets the process-wide TZ; so only a process that is
 * one terminal (`ccus-gate-terminal run`) uses it, and a worker thread, whose TZ changes nothing,
 * cannot.
 */
export const processZoneCalendarDate: CalendarDateIn = (at, timeZone) => {
  if (process.env.TZ !== timeZone) {
    if (!isMainThread) throw new SiteZoneError(timeZone);
    process.env.TZ = timeZone;
  }
  return `${pad(at.getFullYear(), 4)}-${pad(at.getMonth() + 1, 2)}-${pad(at.getDate(), 2)}`;
};
