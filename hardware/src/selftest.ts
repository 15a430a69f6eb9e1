import type { Hardware } from './create-hardware.js';
import { type DigitalOutput, type Outputs, switchOutput } from './output.js';
import { PatternPlayer } from './pattern-player.js';
import { SELFTEST_PATTERN } from './patterns.js';
import type { CardEvent } from './reader.js';

export interface SelftestOptions {
  /** Also pulse the gate relay: opens the gate, so only when someone asks for it. */
  relay: boolean;
  /** How long to wait for a card. */
  cardTimeoutMs: number;
  /** Where each step and each output switch is shown, a line at a time. */
  print: (line: string) => void;
}

/** Wraps each output so the technician sees every switch as a line as well as on the board. */
function announced(output: DigitalOutput, print: (line: string) => void): DigitalOutput {
  return switchOutput(output.name, (on) => {
    output.set(on);
    print(`  ${output.name.padEnd(6)} ${on ? 'on' : 'off'}`);
  });
}

/**
 * The self-test a technician runs at the gate: each light and the buzzer in turn, the relay
 * if asked, each reader's identity, then "present a card" with the card's technology and id.
 * Resolves true when every step passed. Leaves the hardware open; the caller closes it.
 */
export async function runSelftest(hardware: Hardware, options: SelftestOptions): Promise<boolean> {
  const { print } = options;
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
  // A card may come at any moment of the run, and a reader may say something is wrong (a
  // mistyped line on the simulated one): both are heard from the start, never thrown.
  let card: CardEvent | null = null;
  let cardSeen: (event: CardEvent) => void = () => {};
  const onCard = (event: CardEvent): void => {
    if (card !== null) return;
    card = event;
    cardSeen(event);
  };
  const onError = (error: Error): void => print(`  ${error.message}`);
  for (const reader of hardware.readers) {
    reader.on('card', onCard);
    reader.on('error', onError);
  }
  print('1. lights and buzzer, in turn: green, red, buzzer');
  if (hardware.display !== undefined) {
    // Every kind of character the display has: a segment or a ROM missing shows at once.
    hardware.display.show(['SELFTEST 0123456', 'ABCxyz ｱｲｳｴｵ-+:']);
    print(
      `   display (${hardware.display.columns}×${hardware.display.rows}): "SELFTEST 0123456" and letters, digits and katakana below`,
    );
  }
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
  const seen =
    card ??
    (await new Promise<CardEvent | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), options.cardTimeoutMs);
      cardSeen = (event) => {
        clearTimeout(timer);
        resolve(event);
      };
    }));
  if (seen === null) {
    ok = false;
    print('  no card seen');
  } else print(`  ${seen.tech} ${seen.id} on ${seen.reader}`);
  for (const reader of hardware.readers) {
    await reader.stop();
    reader.off('card', onCard);
    reader.off('error', onError);
  }
  player.stop();
  hardware.display?.show([ok ? 'SELFTEST OK' : 'SELFTEST FAILED']);
  print(ok ? 'selftest passed' : 'selftest FAILED');
  return ok;
}
