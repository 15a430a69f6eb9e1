import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HardwareError } from '../../hardware-error.js';

/**
 * The gpiochip labels of the Raspberry Pi's own header GPIO. On Raspberry Pi OS Bookworm
 * (kernel 6.6+) these chips no longer start at 0: the base is 512 on a Pi 4 and 571 on a Pi 5.
 */
const PI_HEADER_CHIPS = ['pinctrl-bcm2711', 'pinctrl-bcm2835', 'pinctrl-rp1', 'pinctrl-bcm2712'];

export interface GpioChip {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export function listGpioChips(root = '/sys/class/gpio'): GpioChip[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => name.startsWith('gpiochip'))
    .map((name) => {
      const read = (file: string): string => readFileSync(join(root, name, file), 'utf8').trim();
      return { name, label: read('label'), base: Number(read('base')), ngpio: Number(read('ngpio')) };
    });
}

/** The sysfs GPIO number of a BCM pin on the Pi header, found from the header chip's base. */
export function sysfsNumber(bcm: number, root = '/sys/class/gpio'): number {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm > 27) {
    throw new HardwareError('bad_pin', `BCM pin ${bcm} is not on the Raspberry Pi header (0–27)`, { bcm });
  }
  const chips = listGpioChips(root);
  if (chips.length === 0) {
    throw new HardwareError(
      'gpio_unavailable',
      `${root} has no GPIO chips: not a Raspberry Pi, or the sysfs GPIO interface is not enabled`,
      { root },
    );
  }
  const chip = chips.find((c) => PI_HEADER_CHIPS.includes(c.label));
  if (chip === undefined) {
    throw new HardwareError(
      'gpio_unavailable',
      `no Raspberry Pi header GPIO chip in ${root} (found ${chips.map((c) => `${c.name} "${c.label}"`).join(', ')})`,
      { root },
    );
  }
  return chip.base + bcm;
}
