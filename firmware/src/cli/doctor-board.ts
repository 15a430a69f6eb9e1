import { existsSync } from 'node:fs';
import type { HardwareProfile } from '@ccus-gate/hardware';
import type { HealthSources } from '../health/health-probe.js';
import { type Check, check } from './doctor-check.js';

const MODEL = '/proc/device-tree/model';

/**
 * Which RC522 driver this board needs. `rc522-spi` bit-bangs SPI through rpio, which knows
 * only the BCM2835 family's GPIO (Pi 4 and older); a Pi 5's GPIO sits behind RP1, so there it
 * must be `rc522-spidev`, the kernel's SPI device, which works on every Pi.
 */
export function checkReaderBoard(
  profile: HardwareProfile,
  sources: HealthSources,
  exists: (path: string) => boolean = existsSync,
): Check[] {
  const rc522 = profile.readers.filter((r) => r.driver === 'rc522-spi' || r.driver === 'rc522-spidev');
  if (rc522.length === 0) return [];
  const model = sources.readText(MODEL)?.replace(/\0/g, '').trim() ?? null;
  const pi5 = model !== null && /Raspberry Pi 5|Compute Module 5/.test(model);
  return rc522.map((reader) => {
    const on = model ?? 'this machine (not a Raspberry Pi)';
    if (reader.driver === 'rc522-spi') {
      return pi5
        ? check(
            'reader board',
            'fail',
            `${reader.name}: ${on} needs the rc522-spidev driver; rc522-spi drives the GPIO through rpio, which a Pi 5 does not have`,
            'use profile pi-rc522-spidev (the same wiring, SPI0 CE0), with SPI enabled: dtparam=spi=on',
          )
        : check('reader board', 'ok', `${reader.name}: rc522-spi on ${on} (rc522-spidev works here too)`);
    }
    const device = `/dev/spidev${reader.bus}.${reader.device}`;
    return exists(device)
      ? check('reader board', 'ok', `${reader.name}: rc522-spidev on ${device}, ${on}`)
      : check(
          'reader board',
          'fail',
          `${reader.name}: ${device} is missing on ${on}`,
          'enable SPI: dtparam=spi=on in /boot/firmware/config.txt (raspi-config → Interface → SPI), then reboot',
        );
  });
}
