import { accessSync, constants, existsSync, readdirSync, statfsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { Hardware, HardwareProfile } from '@ccus-gate/hardware';
import { pino } from 'pino';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { type HealthSources, heatAndPower, MACHINE } from '../health/health-probe.js';
import { TerminalStore } from '../store/terminal-store.js';
import { checkReaderBoard } from './doctor-board.js';
import { checkBroker, checkLogin } from './doctor-broker.js';
import { type Check, check } from './doctor-check.js';
import { buildHardware, loadProfile } from './hardware.js';
import { readSecret } from './run.js';

export type { Check, CheckResult } from './doctor-check.js';

const MiB = 1024 * 1024;

function checkSecrets(config: TerminalRuntimeConfig): Check[] {
  const checks: Check[] = [];
  try {
    readSecret(config.broker.passwordFile, 'broker password');
    const mode = statSync(config.broker.passwordFile).mode & 0o777;
    checks.push(
      mode & 0o007
        ? check(
            'password',
            'warn',
            `${config.broker.passwordFile} is readable by every user (mode ${mode.toString(8)})`,
            `chmod 600 ${config.broker.passwordFile}`,
          )
        : check('password', 'ok', config.broker.passwordFile),
    );
  } catch (error) {
    checks.push(
      check('password', 'fail', (error as Error).message, 'write the password the server issued into that file'),
    );
  }
  if (config.broker.caFile !== undefined) {
    checks.push(
      existsSync(config.broker.caFile)
        ? check('ca', 'ok', config.broker.caFile)
        : check('ca', 'fail', `${config.broker.caFile} does not exist`, 'copy the broker CA certificate there'),
    );
  }
  return checks;
}

function checkStore(config: TerminalRuntimeConfig, now: Date): Check[] {
  const path = config.store.path;
  const folder = dirname(path);
  const checks: Check[] = [];
  // The terminal creates its folder on the first run; what matters is that it can.
  let existing = folder;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    checks.push(
      check('store', 'fail', `${existing} is not writable by this user`, 'chown the folder to the service user'),
    );
  }
  const fs = statfsSync(existing);
  const free = fs.bavail * fs.bsize;
  checks.push(
    free < 200 * MiB
      ? check(
          'disk',
          free < 20 * MiB ? 'fail' : 'warn',
          `${(free / MiB).toFixed(0)} MiB free in ${existing}`,
          'free space on the SD card (old logs, apt caches)',
        )
      : check('disk', 'ok', `${(free / MiB).toFixed(0)} MiB free in ${existing}`),
  );
  if (existsSync(folder)) {
    const broken = readdirSync(folder).filter(
      (f) => f.startsWith(`${basename(path)}.broken-`) && !/-(wal|shm)$/.test(f),
    );
    if (broken.length > 0) {
      checks.push(
        check(
          'broken',
          'warn',
          `${broken.length} corrupt store(s) moved aside: ${broken.join(', ')}`,
          'recover their unsent taps (firmware/README.md, "A broken store"), then delete them',
        ),
      );
    }
  }
  if (!existsSync(path)) {
    checks.push(check('store', 'ok', `${path} will be created on the first run`));
    return checks;
  }
  let store: TerminalStore;
  try {
    store = TerminalStore.openReadOnly(path);
  } catch (error) {
    checks.push(check('store', 'fail', (error as Error).message, 'see firmware/README.md, "A broken store"'));
    return checks;
  }
  try {
    const problems = store.quickCheck();
    const summary = store.summary();
    if (problems.length === 1 && problems[0] === 'ok') {
      checks.push(
        check(
          'store',
          'ok',
          `${path}: schema ${summary.schemaVersion}, ${(summary.bytes / MiB).toFixed(1)} MiB, consistent`,
        ),
      );
    } else {
      checks.push(
        check(
          'store',
          'fail',
          `${path}: ${problems.slice(0, 3).join('; ')}`,
          'see firmware/README.md, "A broken store"',
        ),
      );
    }
    const cap = config.store.maxMegabytes === null ? null : config.store.maxMegabytes * MiB;
    if (cap !== null && summary.bytes > cap * 0.8) {
      checks.push(
        check(
          'store size',
          summary.bytes >= cap ? 'fail' : 'warn',
          `${(summary.bytes / MiB).toFixed(0)} of ${config.store.maxMegabytes} MiB used`,
          'the backlog is not draining: check the broker connection',
        ),
      );
    }
    const pending = summary.counts.pending;
    const oldest = summary.oldestPendingAt === null ? 0 : (now.getTime() - Date.parse(summary.oldestPendingAt)) / 1000;
    checks.push(
      oldest > 3600
        ? check(
            'queue',
            'warn',
            `${pending} taps waiting, the oldest for ${Math.round(oldest / 60)} min`,
            'check the broker connection and the server',
          )
        : check('queue', 'ok', `${pending} taps waiting`),
    );
    if (summary.counts.rejected > 0) {
      const last = store.rejections(1)[0];
      checks.push(
        check(
          'rejected',
          'warn',
          `${summary.counts.rejected} taps rejected by the server; last: #${last?.seq} ${last?.reason}`,
          'ask the server operator; the taps are kept',
        ),
      );
    }
    checks.push(
      summary.rosterVersion === null
        ? check(
            'roster',
            'warn',
            'no roster received yet: every card counts as unknown',
            'connect the terminal to its server once',
          )
        : check('roster', 'ok', `version ${summary.rosterVersion}`),
    );
  } finally {
    store.close();
  }
  return checks;
}

function checkClock(config: TerminalRuntimeConfig): Check {
  return existsSync(config.clock.syncMarker)
    ? check('clock', 'ok', 'synchronised by NTP')
    : check(
        'clock',
        'warn',
        `not synchronised: ${config.clock.syncMarker} is missing`,
        'check network and systemd-timesyncd; taps are corrected once it syncs',
      );
}

function checkHardware(config: TerminalRuntimeConfig): Check {
  let profile: HardwareProfile;
  try {
    profile = loadProfile(config);
  } catch (error) {
    return check('hardware', 'fail', (error as Error).message, 'fix the profile; see hardware/README.md');
  }
  const ports = profile.readers.flatMap((r) => (r.driver === 'pn532-uart' ? [r.path] : []));
  const missing = ports.filter((path) => !existsSync(path));
  if (missing.length > 0) {
    return check(
      'hardware',
      'fail',
      `${profile.name}: ${missing.join(', ')} missing`,
      'enable the UART (raspi-config → Interface → Serial: no login shell, hardware on) or plug the USB adapter in',
    );
  }
  // What the service user must be able to open: the reader's port, GPIO memory for the RC522, sysfs GPIO for the outputs.
  const needs: { path: string; group: string; what: string }[] = [
    ...ports.map((path) => ({ path, group: 'dialout', what: 'the reader port' })),
    ...(profile.readers.some((r) => r.driver === 'rc522-spi')
      ? [{ path: '/dev/gpiomem', group: 'gpio', what: 'GPIO memory (RC522)' }]
      : []),
    ...(profile.outputs.driver === 'gpio'
      ? [{ path: '/sys/class/gpio/export', group: 'gpio', what: 'sysfs GPIO (LEDs, buzzer, relay)' }]
      : []),
  ];
  for (const need of needs) {
    if (!existsSync(need.path)) {
      return check(
        'hardware',
        'fail',
        `${need.what}: ${need.path} is missing`,
        'check the Pi model and kernel; see hardware/README.md',
      );
    }
    try {
      accessSync(need.path, constants.R_OK | constants.W_OK);
    } catch {
      return check(
        'hardware',
        'fail',
        `${need.what}: ${need.path} is not readable and writable by this user`,
        `usermod -aG ${need.group} ccus-gate, then restart the service (install.sh does this)`,
      );
    }
  }
  return check('hardware', 'ok', `${profile.name}; reader identity: run selftest with the service stopped`);
}

/**
 * Starts each reader the profile names and asks what it is (model, firmware). The reader is
 * the running service's, so only on --reader, with the service stopped.
 */
async function checkReaders(config: TerminalRuntimeConfig, timeoutMs: number): Promise<Check[]> {
  let hardware: Hardware;
  try {
    hardware = await buildHardware(config, pino({ level: 'silent' }), Readable.from([]));
  } catch (error) {
    return [check('reader', 'fail', (error as Error).message, 'fix the profile; see hardware/README.md')];
  }
  const checks: Check[] = [];
  try {
    for (const reader of hardware.readers) {
      // A reader keeps retrying by itself and reports trouble as events: listen while it starts.
      let trouble: string | null = null;
      reader.on('error', (error) => {
        trouble ??= error.message;
      });
      await reader.start();
      const simulated = loadProfile(config).readers.find((r) => r.name === reader.name)?.driver === 'simulated';
      const until = Date.now() + timeoutMs;
      while (trouble === null && !simulated && reader.info().firmware === null && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const info = reader.info();
      if (trouble === null && (simulated || info.firmware !== null)) {
        checks.push(
          check(
            'reader',
            'ok',
            `${reader.name}: ${info.model}${info.firmware === null ? '' : `, firmware ${info.firmware}`}`,
          ),
        );
      } else {
        checks.push(
          check(
            'reader',
            'fail',
            `${reader.name}: ${trouble ?? `no answer within ${timeoutMs / 1000} s`}`,
            'stop the service first (it holds the reader), then check the wiring in hardware/README.md',
          ),
        );
      }
    }
  } finally {
    hardware.close();
  }
  return checks;
}

/** Which RC522 driver the board needs; nothing when the profile cannot be read (checkHardware says why). */
function readerBoard(config: TerminalRuntimeConfig, sources: HealthSources): Check[] {
  try {
    return checkReaderBoard(loadProfile(config), sources);
  } catch {
    return [];
  }
}

/** Heat and power, off the Pi's own files: a weak supply or a hot box shows here before readers fail. */
function checkPower(sources: HealthSources): Check[] {
  const { cpuTempC, throttled } = heatAndPower(sources);
  if (cpuTempC === null && throttled === null) return [check('power', 'ok', 'not a Raspberry Pi: nothing to read')];
  const checks: Check[] = [];
  if (throttled?.underVoltage || throttled?.underVoltageSinceBoot) {
    checks.push(
      check(
        'power',
        'warn',
        `under-voltage ${throttled.underVoltage ? 'now' : 'since boot'}`,
        'use the official power supply (5.1 V, 3 A for a Pi 4) and a short, thick cable',
      ),
    );
  } else
    checks.push(check('power', 'ok', throttled === null ? 'no firmware flags to read' : 'no under-voltage since boot'));
  if (cpuTempC !== null && (cpuTempC >= 80 || throttled?.throttled)) {
    checks.push(
      check(
        'heat',
        'warn',
        `${cpuTempC} °C${throttled?.throttled ? ', the CPU is being slowed' : ''}`,
        'shade the box, or use a case with a fan or a heatsink',
      ),
    );
  } else checks.push(check('heat', 'ok', cpuTempC === null ? 'no thermal zone' : `${cpuTempC} °C`));
  return checks;
}

async function checkSystemd(): Promise<Check> {
  try {
    const name = 'sd-notify';
    await import(name);
    return check('systemd', 'ok', 'sd-notify is installed (readiness and watchdog)');
  } catch {
    return check(
      'systemd',
      'warn',
      'sd-notify is not installed: under systemd the unit never becomes ready',
      'apt install libsystemd-dev, then npm ci',
    );
  }
}

/** `ccus-gate-terminal doctor`: everything a technician checks first, each with what to do about it. */
export async function runDoctor(
  config: TerminalRuntimeConfig,
  options: { now?: Date; brokerTimeoutMs?: number; login?: boolean; reader?: boolean; health?: HealthSources } = {},
): Promise<Check[]> {
  const broker = await checkBroker(config, options.brokerTimeoutMs ?? 5_000);
  return [
    check('config', 'ok', config.source),
    ...checkSecrets(config),
    ...checkStore(config, options.now ?? new Date()),
    checkClock(config),
    ...checkPower(options.health ?? MACHINE),
    broker,
    ...(options.login && broker.result === 'ok' ? [await checkLogin(config, options.brokerTimeoutMs ?? 5_000)] : []),
    await checkSystemd(),
    checkHardware(config),
    ...(options.reader ? readerBoard(config, options.health ?? MACHINE) : []),
    ...(options.reader ? await checkReaders(config, options.brokerTimeoutMs ?? 5_000) : []),
  ];
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map(
      (c) =>
        `${c.result.padEnd(4)}  ${c.name.padEnd(10)}  ${c.detail}${c.fix === undefined ? '' : `\n${' '.repeat(18)}→ ${c.fix}`}`,
    )
    .join('\n');
}
