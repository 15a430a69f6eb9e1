/** The offset of a time zone at an instant, in minutes east of UTC. */
function offsetMinutes(timeZone: string, at: number): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (match === null) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/**
 * A wall-clock time on a working day as an ISO instant with the site's offset. A time
 * before the day boundary belongs to the next calendar day (a night shift leaving at 02:00).
 */
export function zonedInstant(day: string, time: string, rule: { timeZone: string; dayBoundary: string }): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  const nextDay = time < rule.dayBoundary ? 1 : 0;
  const asUtc = Date.UTC(year, month - 1, date + nextDay, hours, minutes);
  // Twice: the offset at the guessed instant may differ across a DST change.
  let offset = offsetMinutes(rule.timeZone, asUtc);
  offset = offsetMinutes(rule.timeZone, asUtc - offset * 60_000);
  const local = new Date(asUtc).toISOString().slice(0, 16);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
