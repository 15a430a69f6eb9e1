import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { type Mfrc522Chip, readCard } from './read-card.js';
import { type SpiDeviceLike, spidevAsSoftSpi } from './spidev-spi.js';

/** What the reader thread asks of this worker. */
export interface Rc522WorkerData {
  /**
   * rpi-softspi on the Pi's pins (physical numbering, as rpio uses; Pi 4 and older), the
   * kernel's SPI device /dev/spidev{bus}.{device} (every Pi, the Pi 5 too; `fake` names a
   * module with spi-device's `openSync`, for tests), or a module exporting `createSpi(options)` (tests).
   */
  spi:
    | { kind: 'softspi'; clock: number; mosi: number; miso: number; client: number }
    | { kind: 'spidev'; bus: number; device: number; speedHz: number; fake?: { module: string; channel: string } }
    | { kind: 'module'; module: string; options: unknown };
  /** Physical pin of the RC522's RST line, if wired. */
  resetPin?: number;
  pollIntervalMs: number;
}

export type Rc522WorkerMessage =
  | { type: 'ready'; version: number }
  | { type: 'poll'; card: { uid: string; sak: number; atqa: number } | null }
  | { type: 'error'; message: string };

interface Spi {
  open(): void;
  write(data: Uint8Array): void;
  transfer(data: Uint8Array): Uint8Array;
}

/**
 * mfrc522-rpi busy-waits on the chip for up to tens of milliseconds per poll. Here, in its
 * own thread, that never holds up the tap pipeline on the main thread.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('rc522-worker must run as a worker thread');
  const data = workerData as Rc522WorkerData;
  const require = createRequire(import.meta.url);
  let spi: Spi;
  if (data.spi.kind === 'module') {
    const module = (await import(data.spi.module)) as { createSpi(options: unknown): Spi };
    spi = module.createSpi(data.spi.options);
  } else if (data.spi.kind === 'spidev') {
    const { bus, device, speedHz, fake } = data.spi;
    type Open = (bus: number, device: number, options: object) => SpiDeviceLike;
    const { openSync } = (fake === undefined ? require('spi-device') : await import(fake.module)) as { openSync: Open };
    // The MFRC522 takes SPI mode 0, most significant bit first, at up to 10 MHz.
    spi = spidevAsSoftSpi(
      openSync(bus, device, { mode: 0, maxSpeedHz: speedHz, ...(fake === undefined ? {} : { channel: fake.channel }) }),
      speedHz,
    );
  } else {
    const SoftSPI = require('rpi-softspi') as new (pins: object) => Spi;
    const { clock, mosi, miso, client } = data.spi;
    spi = new SoftSPI({ clock, mosi, miso, client });
  }
  const MFRC522 = require('mfrc522-rpi') as new (
    spi: Spi,
  ) => Mfrc522Chip & { setResetPin(pin: number): unknown; readRegister(address: number): number };
  const chip = new MFRC522(spi);
  // Never setBuzzerPin: mfrc522-rpi would beep twice on every read, on its own timers.
  if (data.resetPin !== undefined) chip.setResetPin(data.resetPin);
  let stopped = false;
  port.on('message', (message: { type: string }) => {
    if (message.type === 'stop') stopped = true;
  });
  // VersionReg: 0x91 (v1.0) or 0x92 (v2.0) on a genuine MFRC522; 0x00 or 0xFF when nothing answers.
  const version = chip.readRegister(0x37);
  port.postMessage({ type: 'ready', version } satisfies Rc522WorkerMessage);
  const poll = (): void => {
    if (stopped) {
      port.close();
      return;
    }
    try {
      port.postMessage({ type: 'poll', card: readCard(chip) } satisfies Rc522WorkerMessage);
    } catch (error) {
      port.postMessage({ type: 'error', message: (error as Error).message } satisfies Rc522WorkerMessage);
    }
    setTimeout(poll, data.pollIntervalMs);
  };
  poll();
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ type: 'error', message: (error as Error).message ?? String(error) });
  process.exit(1);
});
