import type { Readable } from 'node:stream';
import { type CardEvent, type DigitalOutput, type Outputs, PatternPlayer, SELFTEST_PATTERN } from '@ccus-gate/hardware';
import type { Logger } from 'pino';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { buildHardware } from './hardware.js';

export interface SelftestOptions {
  /** Also pulse the gate relay: opens the gate, so only when someone asks for it. */
  relay: boolean;
  /** How long to wait for a card. */
  cardTimeoutMs: number;
  input: Readable;
  print: (line: string) => void;
}

/** Wraps each output so the technician sees every switch as a line as well as on the board. */
function announced(output: DigitalOutput, print: (line: string) => void): DigitalOutput {
  let state = false;
  return {
    name: output.name,
    set(on) {
      output.set(on);
      if (on !== state) print(`  ${output.name.padEnd(6)} ${on ? 'on' : 'off'}`);
      state = on;
    },
  };
}

/**
 * `ccus-gate-terminal selftest` (with the service stopped, since it takes the reader):
 * each light and the buzzer in turn, the relay if asked, the reader's identity, then a card.
 * Resolves true when every step passed.
 */
export async function runSelftest(
  config: TerminalRuntimeConfig,
  log: Logger,
  options: SelftestOptions,
): Promise<boolean> {
  const { print } = options;
  const hardware = await buildHardware(config, log, options.input);
  const outputs: Outputs = {
    green: announced(hardware.outputs.green, print),
    red: announced(hardware.outputs.red, print),
    buzzer: announced(hardware.outputs.buzzer, print),
    ...(hardware.outputs.relay === undefined ? {} : { relay: announced(hardware.outputs.relay, print) }),
  };
  const player = new PatternPlayer(outputs, {
    selftest: SELFTEST_PATTERN,
    relay: [{ on: ['relay'], ms: 1_000 }],
  });
  print('1. lights and buzzer, in turn: green, red, buzzer');
  await player.play('selftest');
  if (options.relay) {
    if (outputs.relay === undefined) print('2. relay: this profile has none');
    else {
      print('2. relay: on for 1 s (the gate opens)');
      await player.play('relay');
    }
  } else print('2. relay: skipped (add --relay to pulse it; it opens the gate)');

  let ok = true;
  print('3. readers');
  for (const reader of hardware.readers) {
    try {
      await reader.start();
      const info = reader.info();
      print(`  ${reader.name}: ${info.model}${info.firmware === null ? '' : `, firmware ${info.firmware}`}`);
    } catch (error) {
      ok = false;
      print(`  ${reader.name}: FAILED to start: ${(error as Error).message}`);
    }
  }
  print(`4. present a card (waiting ${Math.round(options.cardTimeoutMs / 1000)} s)`);
  const card = await new Promise<CardEvent | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), options.cardTimeoutMs);
    for (const reader of hardware.readers) {
      reader.once('card', (event) => {
        clearTimeout(timer);
        resolve(event);
      });
    }
  });
  if (card === null) {
    ok = false;
    print('  no card seen');
  } else print(`  ${card.tech} ${card.id} on ${card.reader}`);
  for (const reader of hardware.readers) await reader.stop();
  player.stop();
  hardware.close();
  print(ok ? 'selftest passed' : 'selftest FAILED');
  return ok;
}
