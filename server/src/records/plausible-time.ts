/** No terminal of ours took a tap before this: an earlier time is a clock that was never set. */
export const PLAUSIBLE_FLOOR_MS = Date.parse('2020-01-01T00:00:00Z');
/** A terminal's clock may run ahead of the server's, but not by a day. */
export const PLAUSIBLE_AHEAD_MS = 24 * 3_600_000;

/** Whether a tap's wall time could be true, by the server's clock. */
export function isPlausibleTime(atMs: number, serverNowMs: number): boolean {
  return atMs >= PLAUSIBLE_FLOOR_MS && atMs <= serverNowMs + PLAUSIBLE_AHEAD_MS;
}
