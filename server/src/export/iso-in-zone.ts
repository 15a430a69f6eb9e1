const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as the wall time of a time zone, to the second, with its offset:
 * 2026-11-24T08:01:00+09:00. One form for every time a file shows, however it was stored
 * (UTC with milliseconds from a terminal, +09:00 from a person).
 */
export function isoInZone(at: string, timeZone: string): string {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) return at;
  let format = formats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const offset = /GMT([+-]\d{2}:\d{2})/.exec(part.timeZoneName ?? '')?.[1] ?? '+00:00';
  return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}${offset}`;
}
