import { readFileSync, statfsSync, statSync } from 'node:fs';
import { uptime } from 'node:os';
import { dirname } from 'node:path';
import { type Health, LIMITS } from '@ccus-gate/protocol';

/** Where health is read from: the machine's files, or a test's. */
export interface HealthSources {
  /** A file's text, or null when it is not there (a thermal zone on a laptop, say). */
  readText(path: string): string | null;
  /** Free and total bytes of the file system holding `path`, or null. */
  disk(path: string): { free: number; total: number } | null;
  /** A file's size in bytes, 0 when it is not there. */
  fileBytes(path: string): number;
  rssBytes(): number;
  uptimeSeconds(): number;
}

export const MACHINE: HealthSources = {
  readText(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  disk(path) {
    try {
      const fs = statfsSync(path);
      return { free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
    } catch {
      return null;
    }
  },
  fileBytes(path) {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  },
  rssBytes: () => process.memoryUsage.rss(),
  uptimeSeconds: () => Math.floor(uptime()),
};

const THERMAL_ZONE = '/sys/class/thermal/thermal_zone0/temp';
/** The Raspberry Pi firmware's throttling flags, as the kernel shows them (hex). */
const GET_THROTTLED = '/sys/devices/platform/soc/soc:firmware/get_throttled';
const MEMINFO = '/proc/meminfo';
/** What a tap takes on disk, with its share of indexes, until the store has enough to tell. */
const BYTES_PER_TAP_GUESS = 400;

/** What the probe needs of the terminal's store and reader. */
export interface HealthInputs {
  storePath: string;
  store: { size(): { bytes: number; maxBytes: number | null }; recentRate(): { count: number; since: string | null } };
  totalTaps: number;
  readerErrors: number;
  /** Why the outputs could not be opened at start, if they could not. */
  outputsFault?: string | null;
  now: Date;
}

function throttledFlags(text: string | null): Health['throttled'] {
  if (text === null || !/^(0x)?[0-9a-f]+$/i.test(text.trim())) return null;
  const bits = Number.parseInt(text.trim().replace(/^0x/i, ''), 16);
  const bit = (n: number): boolean => (bits & (1 << n)) !== 0;
  return {
    underVoltage: bit(0),
    throttled: bit(2),
    softTempLimit: bit(3),
    underVoltageSinceBoot: bit(16),
    throttledSinceBoot: bit(18),
  };
}

/** The SoC's temperature and the firmware's throttling flags, where the machine shows them (a Pi). */
export function heatAndPower(sources: HealthSources): Pick<Health, 'cpuTempC' | 'throttled'> {
  const temp = Number(sources.readText(THERMAL_ZONE)?.trim());
  return {
    cpuTempC: Number.isFinite(temp) && temp !== 0 ? Math.round(temp / 100) / 10 : null,
    throttled: throttledFlags(sources.readText(GET_THROTTLED)),
  };
}

/**
 * How the terminal's machine is, for its status: heat and throttling (a Pi in the sun, a
 * weak power supply), the disk and the store (how many days of taps it still holds if the
 * network stays down), memory, uptime, reader errors, outputs that would not open. Cheap
 * enough for every status.
 */
export function probeHealth(sources: HealthSources, inputs: HealthInputs): Health {
  const available = /^MemAvailable:\s+(\d+) kB/m.exec(sources.readText(MEMINFO) ?? '');
  const disk = sources.disk(dirname(inputs.storePath));
  const size = inputs.store.size();
  const storeBytes =
    Math.max(size.bytes, sources.fileBytes(inputs.storePath)) + sources.fileBytes(`${inputs.storePath}-wal`);

  // The rate over the newest taps (up to 1,000), so a quiet gate and a busy one both read true.
  const recent = inputs.store.recentRate();
  const spanDays = recent.since === null ? 0 : (inputs.now.getTime() - Date.parse(recent.since)) / 86_400_000;
  const tapsPerDay = recent.count === 0 ? null : recent.count / Math.max(1, spanDays);
  const bytesPerTap = inputs.totalTaps >= 1000 ? size.bytes / inputs.totalTaps : BYTES_PER_TAP_GUESS;
  const room = Math.min(
    disk?.free ?? Number.POSITIVE_INFINITY,
    size.maxBytes === null ? Number.POSITIVE_INFINITY : Math.max(0, size.maxBytes - size.bytes),
  );
  const daysOfTapsLeft =
    tapsPerDay === null || tapsPerDay === 0 || !Number.isFinite(room)
      ? null
      : Math.round((room / (bytesPerTap * tapsPerDay)) * 10) / 10;

  return {
    ...heatAndPower(sources),
    diskFreeBytes: disk === null ? null : Math.floor(disk.free),
    diskTotalBytes: disk === null ? null : Math.floor(disk.total),
    storeBytes,
    tapsPerDay: tapsPerDay === null ? null : Math.round(tapsPerDay * 10) / 10,
    daysOfTapsLeft,
    memoryRssBytes: sources.rssBytes(),
    memoryAvailableBytes: available === null ? null : Number(available[1]) * 1024,
    uptimeSeconds: sources.uptimeSeconds(),
    readerErrors: inputs.readerErrors,
    // A driver's message may be long (paths, errno text); the status caps it, as it caps errors.
    outputsFault: inputs.outputsFault?.slice(0, LIMITS.reasonChars) ?? null,
  };
}
