import { createRequire } from 'node:module';
import { HardwareError } from '../../hardware-error.js';

/** The parts of johnny-five the terminal uses. */
export interface Five {
  Board: new (options: object) => NodeJS.EventEmitter;
  Led: new (options: object) => { on(): void; off(): void };
  Relay: new (options: object) => { open(): void; close(): void };
  Pin: new (options: object) => { high(): void; low(): void };
  LCD: new (options: object) => JohnnyFiveLcdComponent;
}

export interface JohnnyFiveLcdComponent {
  cursor(row: number, column: number): JohnnyFiveLcdComponent;
  print(text: string, options?: { dontProcessSpecials?: boolean }): JohnnyFiveLcdComponent;
  noBacklight(): JohnnyFiveLcdComponent;
}

/** One johnny-five board on one IO plugin, ready: the outputs and a display share it. */
export interface JohnnyFiveBoard {
  five: Five;
  board: NodeJS.EventEmitter;
}

/** Loads johnny-five and waits for its board on `io` (Firmata over serial, our Pi GPIO plugin, or a mock). */
export async function openJohnnyFiveBoard(io: object, timeoutMs = 10_000): Promise<JohnnyFiveBoard> {
  const require = createRequire(import.meta.url);
  let five: Five;
  try {
    five = require('johnny-five') as Five;
  } catch (error) {
    throw new HardwareError('driver_unavailable', `johnny-five could not be loaded: ${(error as Error).message}`);
  }
  const board = new five.Board({ io, repl: false, debug: false, timeout: timeoutMs });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new HardwareError('driver_unavailable', 'johnny-five board did not become ready (is Firmata on it?)')),
      timeoutMs,
    );
    board.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
    board.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(new HardwareError('driver_unavailable', `johnny-five board: ${error.message}`));
    });
  });
  return { five, board };
}
