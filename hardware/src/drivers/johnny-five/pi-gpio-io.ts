import { EventEmitter } from 'node:events';
import type { GpioLine, GpioLineFactory } from '../gpio/gpio-output.js';
import { sysfsNumber } from '../gpio/sysfs-pins.js';

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4 } as const;

/**
 * A small johnny-five IO plugin on the Pi's own header GPIO (BCM numbers), for builds that
 * drive a relay or turnstile with johnny-five components without a Firmata board. Digital
 * output only: that is all the gate needs.
 */
export class PiGpioIo extends EventEmitter {
  readonly name = 'ccus-gate-pi-gpio';
  readonly MODES = MODES;
  readonly HIGH = 1;
  readonly LOW = 0;
  readonly analogPins: number[] = [];
  readonly pins = Array.from({ length: 28 }, () => ({
    supportedModes: [MODES.INPUT, MODES.OUTPUT],
    mode: MODES.INPUT as number,
    value: 0,
    report: 0,
    analogChannel: 127,
  }));
  isReady = false;
  readonly #factory: GpioLineFactory;
  readonly #root: string | undefined;
  readonly #lines = new Map<number, GpioLine>();

  constructor(factory: GpioLineFactory, options: { root?: string } = {}) {
    super();
    this.#factory = factory;
    this.#root = options.root;
    // johnny-five listens for these after constructing its Board.
    setImmediate(() => {
      this.isReady = true;
      this.emit('connect');
      this.emit('ready');
    });
  }

  normalize(pin: number): number {
    return pin;
  }

  pinMode(pin: number, mode: number): this {
    const state = this.pins[pin];
    if (state === undefined) throw new Error(`${this.name}: BCM ${pin} is not on the header`);
    state.mode = mode;
    if (mode === MODES.OUTPUT && !this.#lines.has(pin)) {
      this.#lines.set(pin, this.#factory(sysfsNumber(pin, this.#root), { activeLow: false }));
    }
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    if (!this.#lines.has(pin)) this.pinMode(pin, MODES.OUTPUT);
    const level = value ? 1 : 0;
    (this.#lines.get(pin) as GpioLine).writeSync(level);
    (this.pins[pin] as { value: number }).value = level;
    return this;
  }

  close(): void {
    for (const line of this.#lines.values()) {
      line.writeSync(0);
      line.unexport();
    }
    this.#lines.clear();
  }
}
