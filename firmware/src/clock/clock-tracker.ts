import type { Clock, ClockSource } from './clock.js';

export interface ClockTrackerOptions {
  /** How far the server's time may differ from ours, on top of the round trip, and still agree. */
  toleranceMs?: number;
  /** Called once each time this boot's clock becomes trustworthy, with wall minus monotonic time. */
  onSynced?: (offsetMs: number, source: ClockSource) => void;
}

export interface ServerTimeCheck {
  agrees: boolean;
  /** Our wall time minus the server's, at the middle of the round trip. */
  skewMs: number;
}

export interface ClockTracker extends Clock {
  /**
   * The server's clock as reported in an ack, with when (monotonic) the batch it answers left.
   * The server stamped its time somewhere within the round trip, so our clock agrees when that
   * time lies inside the trip, give or take the tolerance.
   */
  observeServerTime(serverTime: Date, sentAtMono: number): ServerTimeCheck;
}

/**
 * A clock that also counts as synchronised when the server agrees with it. The system's own
 * marker wins when present; the server's word holds for this process until it disagrees.
 * The moment the clock becomes trustworthy, `onSynced` gets the offset that turns this
 * boot's monotonic times into wall times, so earlier taps can be corrected.
 */
export function trackClock(base: Clock, options: ClockTrackerOptions = {}): ClockTracker {
  const toleranceMs = options.toleranceMs ?? 2_000;
  let serverAgrees = false;
  let wasSynced = false;

  const current = (): { synced: boolean; source: ClockSource } => {
    const system = base.sync();
    if (system.synced) return system;
    return serverAgrees ? { synced: true, source: 'server' } : { synced: false, source: 'none' };
  };

  const check = (): { synced: boolean; source: ClockSource } => {
    const state = current();
    if (state.synced && !wasSynced) {
      wasSynced = true;
      options.onSynced?.(base.now().getTime() - base.monotonicMs(), state.source);
    } else if (!state.synced) {
      wasSynced = false;
    }
    return state;
  };

  return {
    bootId: base.bootId,
    now: () => base.now(),
    monotonicMs: () => base.monotonicMs(),
    sync: check,
    observeServerTime(serverTime: Date, sentAtMono: number): ServerTimeCheck {
      const nowMono = base.monotonicMs();
      const receivedAt = base.now().getTime();
      const tripMs = Math.max(0, nowMono - sentAtMono);
      const sentAt = receivedAt - tripMs;
      const server = serverTime.getTime();
      const agrees = server >= sentAt - toleranceMs && server <= receivedAt + toleranceMs;
      serverAgrees = agrees;
      check();
      return { agrees, skewMs: Math.round(sentAt + tripMs / 2 - server) };
    },
  };
}
