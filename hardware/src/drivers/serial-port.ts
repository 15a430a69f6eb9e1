import type { Duplex } from 'node:stream';

/** A serial port as the drivers need it: serialport's SerialPort, or a SerialPortStream on a mock binding. */
export interface SerialLink extends Duplex {
  readonly isOpen: boolean;
  close(callback?: (error: Error | null) => void): void;
}

export type OpenPort = (options: { path: string; baudRate: number }) => Promise<SerialLink>;

/** Opens a real serial port (serialport's native binding), imported only when a profile names a serial device. */
export const openSerialPort: OpenPort = async ({ path, baudRate }) => {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port as unknown as SerialLink;
};
