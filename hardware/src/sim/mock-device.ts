import { SerialPortMock } from 'serialport';

export type MockPortBinding = Awaited<ReturnType<typeof SerialPortMock.binding.open>>;

/**
 * A device at the far end of serialport's mock binding, as the fakes build it: the port is
 * created at `path`, and the binding handed to SerialPortStream tells the device when the host
 * opens the port and what the host writes, and fails reads and opens while it is unplugged.
 */
export function mockDeviceBinding(
  path: string,
  device: {
    opened(port: MockPortBinding): void;
    fromHost?(bytes: Buffer): void;
    unplugged?(): boolean;
  },
): typeof SerialPortMock.binding {
  SerialPortMock.binding.createPort(path, { echo: false, record: false });
  const mock = SerialPortMock.binding;
  const unplugged = (): boolean => device.unplugged?.() ?? false;
  return {
    ...mock,
    list: () => mock.list(),
    open: async (options) => {
      if (unplugged()) throw new Error(`${options.path}: No such file or directory`);
      const port = await mock.open(options);
      device.opened(port);
      if (device.fromHost !== undefined) {
        const fromHost = device.fromHost.bind(device);
        const write = port.write.bind(port);
        port.write = async (buffer: Buffer) => {
          await write(buffer);
          fromHost(buffer);
        };
      }
      const read = port.read.bind(port);
      port.read = async (buffer: Buffer, offset: number, length: number) => {
        if (unplugged()) throw new Error('device unplugged');
        return read(buffer, offset, length);
      };
      return port;
    },
  };
}
