import { createRequire } from 'node:module';
import { type DigitalOutput, type Outputs, switchOutput } from '../../output.js';
import { type JohnnyFiveBoard, openJohnnyFiveBoard } from './j5-board.js';

export interface J5Pins {
  green: number;
  red: number;
  buzzer: number;
  relay?: number | undefined;
}

/**
 * LEDs, an active buzzer and a gate relay as johnny-five components on any IO plugin: a
 * Firmata board over serial, our Pi GPIO plugin, or a mock in tests. The relay's `close()`
 * (current flows: the gate opens) is "on"; `relayType: 'NC'` is for boards that switch on low.
 */
export async function createJohnnyFiveOutputs(
  io: object | JohnnyFiveBoard,
  spec: { pins: J5Pins; relayType: 'NO' | 'NC'; timeoutMs?: number },
): Promise<Outputs> {
  const { five, board } = 'five' in io && 'board' in io ? io : await openJohnnyFiveBoard(io, spec.timeoutMs);
  const led = (name: string, pin: number): DigitalOutput => {
    const component = new five.Led({ pin, board });
    return switchOutput(name, (on) => (on ? component.on() : component.off()));
  };
  // An active buzzer is on or off: a digital Pin, since a Led on a PWM pin would be driven by analogWrite.
  const buzzer = new five.Pin({ pin: spec.pins.buzzer, type: 'digital', board });
  const outputs: Outputs = {
    green: led('green', spec.pins.green),
    red: led('red', spec.pins.red),
    buzzer: switchOutput('buzzer', (on) => (on ? buzzer.high() : buzzer.low())),
  };
  if (spec.pins.relay !== undefined) {
    const relay = new five.Relay({ pin: spec.pins.relay, type: spec.relayType, board });
    relay.open();
    outputs.relay = switchOutput('relay', (on) => (on ? relay.close() : relay.open()));
  }
  return outputs;
}

/** A Firmata board on a serial port, through serialport (the transport) and firmata-io. */
export async function openFirmataIo(path: string, baudRate: number): Promise<object> {
  const require = createRequire(import.meta.url);
  const { SerialPort } = await import('serialport');
  const { Firmata } = require('firmata-io') as { Firmata: new (port: object) => object };
  return new Firmata(new SerialPort({ path, baudRate }));
}
