import { join } from 'node:path';
import { type HealthSources, probeHealth, TerminalStore } from '@ccus-gate/firmware';
import { decodeMessage, encodeMessage, parseCardRef, parseWorkerId } from '@ccus-gate/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { onlineStatus } from '../support/terminal-status.js';

/** A Raspberry Pi's files as the kernel shows them: warm, once under-volted, 1 GiB available. */
function pi(files: Record<string, string | null> = {}, diskFree = 20 * 1024 ** 3): HealthSources {
  const text: Record<string, string | null> = {
    '/sys/class/thermal/thermal_zone0/temp': '61234\n',
    '/sys/devices/platform/soc/soc:firmware/get_throttled': '50005\n',
    '/proc/meminfo': 'MemTotal:        3884436 kB\nMemFree:          200000 kB\nMemAvailable:    1048576 kB\n',
    ...files,
  };
  return {
    readText: (path) => text[path] ?? null,
    disk: () => ({ free: diskFree, total: 32 * 1024 ** 3 }),
    fileBytes: () => 0,
    rssBytes: () => 70 * 1024 ** 2,
    uptimeSeconds: () => 86_400,
  };
}

describe("the terminal's health", () => {
  const dir = tempDir('health');
  let store: TerminalStore;
  const now = new Date('2026-11-24T12:00:00Z');
  beforeEach(() => {
    store = TerminalStore.open(join(dir.path, 'terminal.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  /** `perDay` taps a day for `days` days up to now. */
  const tapsFor = (perDay: number, days: number): void => {
    for (let i = 0; i < perDay * days; i++) {
      store.commitTap({
        card: parseCardRef('04A2B3C4'),
        workerId: parseWorkerId('11110000000001'),
        direction: i % 2 === 0 ? 'in' : 'out',
        at: new Date(now.getTime() - days * 86_400_000 + (i * 86_400_000) / perDay),
        workingDay: '2026-11-24',
        bootId: '7d1e6c2a-3b4f-4c8e-9a51-2f6d8b0c4e13',
        mono: i,
        clockSynced: true,
        flags: [],
      });
    }
  };
  const probe = (sources: HealthSources, totalTaps: number) =>
    probeHealth(sources, { storePath: store.path, store, totalTaps, readerErrors: 2, now });

  it('reads heat, throttling, memory and uptime the way a Pi shows them', () => {
    const health = probe(pi(), 0);
    expect(health).toMatchObject({
      cpuTempC: 61.2,
      throttled: {
        underVoltage: true,
        throttled: true,
        softTempLimit: false,
        underVoltageSinceBoot: true,
        throttledSinceBoot: true,
      },
      memoryAvailableBytes: 1024 ** 3,
      memoryRssBytes: 70 * 1024 ** 2,
      uptimeSeconds: 86_400,
      readerErrors: 2,
      outputsFault: null,
      tapsPerDay: null,
      daysOfTapsLeft: null,
    });
    expect(health.storeBytes).toBeGreaterThan(0);
    // And it is a valid part of the status message.
    const status = onlineStatus('gate-01', { at: now.toISOString(), rosterVersion: null, health });
    expect(decodeMessage('status', encodeMessage('status', status))).toMatchObject({ health });
  });

  it('says nothing it cannot know off a Pi: no thermal zone, no firmware flags', () => {
    const laptop = pi({
      '/sys/class/thermal/thermal_zone0/temp': null,
      '/sys/devices/platform/soc/soc:firmware/get_throttled': null,
      '/proc/meminfo': null,
    });
    expect(probe(laptop, 0)).toMatchObject({ cpuTempC: null, throttled: null, memoryAvailableBytes: null });
  });

  it('says why the lights would not open, capped so the status stays valid', () => {
    const fault = `green on BCM 17 (sysfs 529): ${'EIO: i/o error, write /sys/class/gpio/export; '.repeat(30)}`;
    const health = probeHealth(pi(), {
      storePath: store.path,
      store,
      totalTaps: 0,
      readerErrors: 0,
      outputsFault: fault,
      now,
    });
    expect(health.outputsFault).toBe(fault.slice(0, 300));
    const status = onlineStatus('gate-01', { at: now.toISOString(), rosterVersion: null, health });
    expect(decodeMessage('status', encodeMessage('status', status))).toMatchObject({ health });
  });

  it("counts the days of taps the disk and the store's cap still hold at this gate's rate", () => {
    tapsFor(200, 6);
    const roomy = probe(pi({}, 1024 ** 3), 1200);
    expect(roomy.tapsPerDay).toBeCloseTo(200, -1);
    const bytesPerTap = store.size().bytes / 1200;
    expect(roomy.daysOfTapsLeft).toBeCloseTo(1024 ** 3 / (bytesPerTap * 200), -1);
    // A nearly full disk: days, not years.
    const full = probe(pi({}, 4 * 1024 ** 2), 1200);
    expect(full.daysOfTapsLeft).toBeLessThan(roomy.daysOfTapsLeft as number);
    expect(full.daysOfTapsLeft).toBeLessThan(200);
    // The store's own cap binds before the disk does.
    store.setSizeLimit(store.size().bytes + 1024 * 1024);
    expect(probe(pi({}, 1024 ** 3), 1200).daysOfTapsLeft).toBeLessThan(roomy.daysOfTapsLeft as number);
  });
});
