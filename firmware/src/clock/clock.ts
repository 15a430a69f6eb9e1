import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

export type ClockSource = 'system' | 'server' | 'none';

/** Every source of time the terminal uses. Injected, so tests control it. */
export interface Clock {
  /** Wall time, which a Pi without network may have wrong. */
  now(): Date;
  /** Milliseconds since this boot; never jumps. */
  monotonicMs(): number;
  /** Identifies this boot; monotonic times compare only within one boot. */
  readonly bootId: string;
  /** Whether wall time can be trusted, and who said so. */
  sync(): { synced: boolean; source: ClockSource };
}

export interface SystemClockOptions {
  /** systemd-timesyncd touches this file once NTP has set the clock. */
  syncMarker?: string;
  /** For one-machine setups (the demo) where terminal and server share the clock. */
  assumeSynced?: boolean;
}

function readLinux(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * The machine's clock. On Linux the boot id and uptime come from the kernel, so
 * monotonic times stay comparable across restarts of the process within one boot.
 */
export function systemClock(options: SystemClockOptions = {}): Clock {
  const marker = options.syncMarker ?? '/run/systemd/timesync/synchronized';
  const bootId = readLinux('/proc/sys/kernel/random/boot_id') ?? randomUUID();
  const uptimeSeconds = Number(readLinux('/proc/uptime')?.split(' ')[0] ?? Number.NaN);
  const bootOffsetMs = Number.isFinite(uptimeSeconds) ? uptimeSeconds * 1000 - performance.now() : 0;
  // Looked at once a second at most: a tap should not wait on a syscall, and NTP's verdict
  // changes once per boot.
  let markerSeen = false;
  let checkedAt = Number.NEGATIVE_INFINITY;
  return {
    bootId,
    now: () => new Date(),
    monotonicMs: () => Math.floor(bootOffsetMs + performance.now()),
    sync: () => {
      if (options.assumeSynced) return { synced: true, source: 'system' };
      const now = performance.now();
      if (now - checkedAt >= 1_000) {
        markerSeen = existsSync(marker);
        checkedAt = now;
      }
      return markerSeen ? { synced: true, source: 'system' } : { synced: false, source: 'none' };
    },
  };
}
