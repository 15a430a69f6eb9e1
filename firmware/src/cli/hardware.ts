import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createHardware, type Hardware, type HardwareProfile, parseHardwareProfile } from '@ccus-gate/hardware';
import type { Logger } from 'pino';
import type { TerminalRuntimeConfig } from '../config/config-file.js';

/** The hardware profile the config names: a file, or the built-in simulated one. */
export function loadProfile(config: TerminalRuntimeConfig): HardwareProfile {
  const { profile, cards } = config.hardware;
  if (profile === 'simulated') {
    return parseHardwareProfile({
      name: 'simulated',
      readers: [{ driver: 'simulated', name: 'sim', input: cards }],
      outputs: { driver: 'simulated' },
      display: { driver: 'simulated' },
    });
  }
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(profile, 'utf8'));
  } catch (error) {
    throw new Error(`hardware profile ${profile}: ${(error as Error).message}`);
  }
  return parseHardwareProfile(input, profile);
}

/**
 * Builds the readers and outputs; simulated outputs show their changes in the log (debug).
 * `outputsOptional`: the service takes taps even when the lights cannot be opened (see
 * `Hardware.outputsFault`).
 */
export async function buildHardware(
  config: TerminalRuntimeConfig,
  log: Logger,
  input: Readable,
  options: { outputsOptional?: boolean } = {},
): Promise<Hardware> {
  const outputLog = log.child({ module: 'outputs' });
  return createHardware(loadProfile(config), {
    input,
    outputsOptional: options.outputsOptional ?? false,
    onOutput: (output, on) => outputLog.debug({ output, on }, 'output'),
    // What a worker would read at the gate: at info, so the demo shows it beside each tap.
    onDisplay: (lines) => outputLog.info({ display: lines }, 'display'),
  });
}
