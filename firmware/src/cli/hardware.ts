import type { Readable } from 'node:stream';
import type { CardReader, DigitalOutput, Outputs } from '@ccus-gate/hardware';
import { SimulatedReader } from '@ccus-gate/hardware';
import type { Logger } from 'pino';
import type { TerminalRuntimeConfig } from '../config/config-file.js';

export interface TerminalHardware {
  readers: CardReader[];
  outputs: Outputs;
}

/** An output that only logs its changes (at debug): the simulated LEDs, buzzer and relay. */
function loggedOutput(name: string, log: Logger): DigitalOutput {
  let state = false;
  return {
    name,
    set(on) {
      if (on === state) return;
      state = on;
      log.debug({ output: name, on }, 'output');
    },
  };
}

/** Builds the readers and outputs the config names. Real drivers load only when named. */
export function buildHardware(config: TerminalRuntimeConfig, log: Logger, input: Readable): TerminalHardware {
  const hardware = config.hardware;
  switch (hardware.profile) {
    case 'simulated': {
      const reader = new SimulatedReader('sim');
      if (hardware.cards === 'stdin') reader.feedLines(input);
      const outputLog = log.child({ module: 'outputs' });
      return {
        readers: [reader],
        outputs: {
          green: loggedOutput('green', outputLog),
          red: loggedOutput('red', outputLog),
          buzzer: loggedOutput('buzzer', outputLog),
          relay: loggedOutput('relay', outputLog),
        },
      };
    }
  }
}
