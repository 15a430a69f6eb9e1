/** What the RC522 driver uses of `spi-device`'s SpiDevice. */
export interface SpiDeviceLike {
  transferSync(
    messages: { byteLength: number; sendBuffer?: Buffer; receiveBuffer?: Buffer; speedHz?: number }[],
  ): SpiDeviceLike;
  closeSync(): void;
}

/** What mfrc522-rpi asks of its SPI object: rpi-softspi's interface. */
export interface SoftSpiLike {
  open(): void;
  write(data: Uint8Array): void;
  transfer(data: Uint8Array): Uint8Array;
}

/**
 * The kernel's SPI device (/dev/spidevB.D, through `spi-device`) behind the interface
 * mfrc522-rpi talks to. rpi-softspi bit-bangs the pins through rpio, which knows only the
 * BCM2835 family's registers; the kernel's driver works on every Pi, the Pi 5's RP1 too.
 */
export function spidevAsSoftSpi(device: SpiDeviceLike, speedHz: number): SoftSpiLike {
  const send = (data: Uint8Array): Buffer => {
    const receiveBuffer = Buffer.alloc(data.length);
    device.transferSync([{ sendBuffer: Buffer.from(data), receiveBuffer, byteLength: data.length, speedHz }]);
    return receiveBuffer;
  };
  return {
    open: () => {},
    write: (data) => {
      send(data);
    },
    transfer: (data) => Uint8Array.from(send(data)),
  };
}
