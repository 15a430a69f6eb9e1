import type { Lang } from './i18n.js';

/** Dates, times and numbers as each language writes them: 2026年11月25日(水) 7:58, or Wed 25 Nov 2026 07:58. */
export interface Formats {
  /** A calendar day (YYYY-MM-DD), with its year. */
  day(day: string): string;
  /** A calendar day without its year, for tables within one month. */
  shortDay(day: string): string;
  /** A month (YYYY-MM). */
  month(month: string): string;
  /** The time of day of an instant, in the site's time zone; a dash for none. */
  time(at: string | null, timeZone: string): string;
  /** Day and time of an instant, in the given time zone. */
  dateTime(at: string | null, timeZone: string): string;
  number(value: number): string;
  /** A size on disk or in memory, in binary steps: 23.6 GB. */
  bytes(value: number): string;
}

const LOCALE: Record<Lang, string> = { ja: 'ja-JP', en: 'en-GB' };
const DASH = '—';

/** A formatter per option set and zone: building Intl formatters is the costly part. */
function cached(): (key: string, make: () => Intl.DateTimeFormat) => Intl.DateTimeFormat {
  const made = new Map<string, Intl.DateTimeFormat>();
  return (key, make) => {
    let formatter = made.get(key);
    if (formatter === undefined) {
      formatter = make();
      made.set(key, formatter);
    }
    return formatter;
  };
}

const formatter = cached();

function formatsFor(lang: Lang): Formats {
  const locale = LOCALE[lang];
  // From the parts, not an ISO string: a clock gone wrong gives days (and deadlines) past year 9999.
  const dateOf = (day: string): Date => {
    const [year, month, date] = day.split('-').map(Number) as [number, number, number];
    const at = new Date(0);
    at.setUTCFullYear(year, (month ?? 1) - 1, date ?? 1);
    return at;
  };
  const made = (name: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat =>
    formatter(`${lang}|${name}|${timeZone}`, () => new Intl.DateTimeFormat(locale, { ...options, timeZone }));
  // A stored time no date can show (a corrupt or impossible one) is shown as a dash, never a failed page.
  const inZone = (name: string, timeZone: string, options: Intl.DateTimeFormatOptions) => ({
    format: (date: Date): string => (Number.isNaN(date.getTime()) ? DASH : made(name, timeZone, options).format(date)),
  });
  const numbers = new Intl.NumberFormat(locale);
  const byteFormats = BYTE_UNITS.map(
    (unit) => new Intl.NumberFormat(locale, { style: 'unit', unit, maximumFractionDigits: 1 }),
  );
  return {
    day: (day) =>
      inZone('day', 'UTC', {
        year: 'numeric',
        month: lang === 'ja' ? 'long' : 'short',
        day: 'numeric',
        weekday: 'short',
      }).format(dateOf(day)),
    shortDay: (day) =>
      inZone('shortDay', 'UTC', { month: lang === 'ja' ? 'long' : 'short', day: 'numeric', weekday: 'short' }).format(
        dateOf(day),
      ),
    month: (month) => inZone('month', 'UTC', { year: 'numeric', month: 'long' }).format(dateOf(`${month}-01`)),
    time: (at, timeZone) =>
      at === null
        ? DASH
        : inZone('time', timeZone, {
            hour: lang === 'ja' ? 'numeric' : '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          }).format(new Date(at)),
    dateTime: (at, timeZone) =>
      at === null
        ? DASH
        : inZone('dateTime', timeZone, {
            month: lang === 'ja' ? 'long' : 'short',
            day: 'numeric',
            hour: lang === 'ja' ? 'numeric' : '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          }).format(new Date(at)),
    number: (value) => numbers.format(value),
    bytes: (value) => {
      let size = value;
      let unit = 0;
      while (size >= 1024 && unit < BYTE_UNITS.length - 1) {
        size /= 1024;
        unit++;
      }
      return (byteFormats[unit] as Intl.NumberFormat).format(size);
    },
  };
}

/** Sizes in binary steps (1,024), named as Intl names them. */
const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Each language's formats, made once like its messages: a page asks for them on every request. */
export const FORMATS: Record<Lang, Formats> = { ja: formatsFor('ja'), en: formatsFor('en') };
