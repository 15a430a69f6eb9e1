import { HardwareError } from '../../hardware-error.js';
import type { DigitalOutput } from '../../output.js';
import { sysfsNumber } from './sysfs-pins.js';

/** One exported GPIO line, as onoff's Gpio offers it. Injected so tests record writes instead. */
export interface GpioLine {
  writeSync(value: 0 | 1): void;
  unexport(): void;
}

export type GpioLineFactory = (sysfs: number, options: { activeLow: boolean }) => GpioLine;

/** onoff's Gpio, imported only when a profile drives real pins. */
export async function onoffLineFactory(): Promise<GpioLineFactory> {
  let Gpio: typeof import('onoff').Gpio;
  try {
    ({ Gpio } = await import('onoff'));
  } catch (error) {
    throw new HardwareError('driver_unavailable', `onoff could not be loaded: ${(error as Error).message}`);
  }
  return (sysfs, { activeLow }) => new Gpio(sysfs, 'out', 'none', { activeLow });
}

/** An LED, buzzer or relay on a BCM pin of the Pi header. */
export class GpioOutput implements DigitalOutput {
  readonly name: string;
  readonly bcm: number;
  readonly sysfs: number;
  readonly #line: GpioLine;
  #on = false;

  constructor(
    name: string,
    bcm: number,
    factory: GpioLineFactory,
    options: { activeLow?: boolean; root?: string } = {},
  ) {
    this.name = name;
    this.bcm = bcm;
    this.sysfs = sysfsNumber(bcm, options.root);
    try {
      this.#line = factory(this.sysfs, { activeLow: options.activeLow ?? false });
      this.#line.writeSync(0);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new HardwareError(
        code === 'EACCES' || code === 'EPERM' ? 'gpio_denied' : 'gpio_unavailable',
        `${name} on BCM ${bcm} (sysfs ${this.sysfs}): ${
          code === 'EACCES' || code === 'EPERM'
            ? 'permission denied; add the service user to the gpio group'
            : (error as Error).message
        }`,
        { output: name, bcm, sysfs: this.sysfs },
      );
    }
  }

  set(on: boolean): void {
    if (on === this.#on) return;
    this.#line.writeSync(on ? 1 : 0);
    this.#on = on;
  }

  close(): void {
    try {
      this.#line.writeSync(0);
    } finally {
      this.#line.unexport();
    }
  }
}
