import type { Readable } from 'node:stream';
import { runSelftest as runHardwareSelftest } from '@ccus-gate/hardware';
import type { Logger } from 'pino';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { buildHardware } from './hardware.js';

/**
 * `ccus-gate-terminal selftest`, with the service stopped (it takes the reader): the
 * hardware package's self-test on the hardware the config names.
 */
export async function runSelftest(
  config: TerminalRuntimeConfig,
  log: Logger,
  options: { relay: boolean; cardTimeoutMs: number; input: Readable; print: (line: string) => void },
): Promise<boolean> {
  const hardware = await buildHardware(config, log, options.input);
  try {
    return await runHardwareSelftest(hardware, options);
  } finally {
    hardware.close();
  }
}
