import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { FakePn532 } from '@ccus-gate/hardware/testing';
import { type OnlineStatus, ProvisioningBundleSchema } from '@ccus-gate/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncServerHarness, startSyncServer } from '../support/sync-server.js';
import { ensureBinary } from '../support/system-package.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor as waitForAny } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '../..');
/** The boot partition's offset in the image (build-image.sh): mtools reads it there. */
const BOOT = '@@4M';

/**
 * The SD card image, as a technician uses it: `npm run image` builds it from Debian's packages
 * and the npm registry; the provisioning bundle goes on its boot partition; the image's own
 * kernel and initrd boot its root file system in QEMU (arm64, Cortex-A72 as on a Pi 4). The
 * terminal must come up as the card's systemd starts it, apply the bundle, and deliver a tap
 * read by its PN532 on the UART (/dev/serial0, which the image names) to a server on this
 * machine. The PN532 is the test's fake, at the far end of QEMU's UART, speaking bytes.
 *
 * Building takes several minutes (arm64 under emulation); CCUS_GATE_IMAGE=<built .img> reuses
 * one while working on this test. The build needs root (mmdebstrap, chroot), as CI has.
 */
describe('the SD card image', () => {
  const dir = tempDir('sd-image');
  let harness: SyncServerHarness;
  let qemu: ChildProcess | null = null;
  let uart: Server;
  const reader = new FakePn532('/dev/qemu-uart');
  const card = join(dir.path, 'card.img');
  const consoleLog = join(dir.path, 'console.log');
  let version = '';
  let imageBytes = 0;

  const consoleTail = (): string =>
    existsSync(consoleLog) ? `\nconsole:\n${readFileSync(consoleLog, 'utf8').split('\n').slice(-40).join('\n')}` : '';
  const status = (): OnlineStatus | null =>
    harness.store.directory.terminalView(null, harness.terminalId).status as OnlineStatus | null;
  let qemuSaid = '';
  // A QEMU that exits (a missing file, a bad option) fails the wait at once, with what it said,
  // instead of after the whole boot's timeout.
  const qemuGone = (): boolean => {
    if (qemu === null || (qemu.exitCode === null && qemu.signalCode === null)) return false;
    throw new Error(`QEMU exited (${qemu.exitCode ?? qemu.signalCode}): ${qemuSaid.trim() || 'it said nothing'}`);
  };
  const waitFor = (what: string, check: () => boolean, ms: number) =>
    waitForAny(what, () => qemuGone() || check(), ms).catch((error: Error) => {
      throw new Error(`${error.message}${consoleTail()}`);
    });

  beforeAll(async () => {
    const qemuBinary = ensureBinary('qemu-system-aarch64', 'qemu-system-arm');
    ensureBinary('mcopy', 'mtools');
    let image = process.env.CCUS_GATE_IMAGE;
    if (image === undefined) {
      if (process.getuid?.() !== 0) {
        throw new Error(
          'building the SD card image needs root (mmdebstrap, chroot): run the tests as root, as CI does',
        );
      }
      const printed = execFileSync('bash', [join(ROOT, 'firmware/image/build-image.sh')], {
        cwd: ROOT,
        env: { ...process.env, IMAGE_DIR: join(dir.path, 'image') },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 * 1024 * 1024,
      });
      image = printed.trim().split('\n').pop() as string;
    }
    version = /^ccus-gate-(.+)\.img$/.exec(basename(image))?.[1] ?? '';
    // The card as flashed: a copy, so a reused image stays as it was built, on a card 1 GiB larger.
    copyFileSync(image, card);
    imageBytes = statSync(card).size;
    truncateSync(card, imageBytes + 1024 ** 3);

    harness = await startSyncServer(dir.path);
    const port = Number(new URL(harness.url).port);
    // QEMU's user network: the host's loopback is 10.0.2.2 inside the machine.
    const bundle = ProvisioningBundleSchema.parse({
      v: 1,
      kind: 'ccus-gate-provisioning',
      terminalId: harness.terminalId,
      password: harness.terminalPassword,
      broker: { url: `mqtt://10.0.2.2:${port}` },
      siteId: harness.siteId,
      hardwareProfile: 'pi-pn532-uart',
      issuedAt: new Date().toISOString(),
    });
    const bundleFile = join(dir.path, 'bundle.json');
    writeFileSync(bundleFile, JSON.stringify(bundle, null, 2));
    execFileSync('mcopy', ['-i', `${card}${BOOT}`, bundleFile, '::ccus-gate-bundle.json']);

    uart = createServer((socket) => reader.wire(socket));
    await new Promise<void>((resolve) => uart.listen(0, '127.0.0.1', resolve));
    const uartPort = (uart.address() as { port: number }).port;
    qemu = spawn(
      qemuBinary,
      [
        ...['-M', 'virt', '-cpu', 'cortex-a72', '-smp', '2', '-m', '1024', '-accel', 'tcg,thread=multi'],
        ...['-nodefaults', '-display', 'none', '-monitor', 'none'],
        ...['-kernel', image.replace(/\.img$/, '.vmlinuz'), '-initrd', image.replace(/\.img$/, '.initrd')],
        // The console on a PCI UART (ttyS0, there from the first moment of boot), so the PL011
        // stays the reader's; the journal on it too, so what the terminal said is in a failure's message.
        ...['-append', 'root=LABEL=RASPIROOT rw rootwait console=ttyS0 systemd.journald.forward_to_console=1'],
        ...['-drive', `if=none,id=card,file=${card},format=raw`, '-device', 'virtio-blk-pci,drive=card'],
        // No option ROM: the kernel is loaded directly, and Debian ships the ROM only as a
        // recommended package (ipxe-qemu) that a --no-install-recommends install leaves out.
        ...['-netdev', 'user,id=net', '-device', 'virtio-net-pci,netdev=net,romfile='],
        // The UART (PL011, ttyAMA0): the PN532's line, to the fake reader's socket.
        ...['-chardev', `socket,id=uart,host=127.0.0.1,port=${uartPort}`, '-serial', 'chardev:uart'],
        ...['-chardev', `file,id=con,path=${consoleLog}`, '-device', 'pci-serial,chardev=con'],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    qemu.stderr?.on('data', (chunk: Buffer) => {
      qemuSaid = (qemuSaid + chunk.toString()).slice(-4000);
      process.stderr.write(chunk);
    });
  }, 60 * 60_000);

  afterAll(async () => {
    if (qemu !== null && qemu.exitCode === null) {
      const exited = new Promise((resolve) => qemu?.once('exit', resolve));
      qemu.kill('SIGTERM');
      await exited;
    }
    uart?.close();
    await harness?.close();
    dir.remove();
  });

  it(
    'boots, applies the bundle from its boot partition, and delivers a tap from the PN532 on its UART',
    async () => {
      await waitFor(
        'the terminal online with its reader',
        () => status()?.state === 'online' && status()?.reader.state === 'ok',
        15 * 60_000,
      );
      const online = status() as OnlineStatus;
      expect(online).toMatchObject({ firmware: version, reader: { state: 'ok', model: 'PN532' } });
      // The emulator has no Raspberry Pi GPIO: the gate takes taps without its lights, and says why.
      expect(online.health?.outputsFault).toMatch(/GPIO/);
      // The root file system grew at the first boot to fill the larger card.
      expect(online.health?.diskTotalBytes).toBeGreaterThan(imageBytes);

      const [worker] = harness.workers;
      if (worker === undefined) throw new Error('no worker');
      reader.presentFelica(worker.card.id);
      const stored = () =>
        harness.store.db
          .sql<[string], { card_id: string; worker_id: string | null }>(
            'SELECT card_id, worker_id FROM taps WHERE terminal_id = ?',
          )
          .all(harness.terminalId);
      await waitFor('the tap stored by the server', () => stored().length > 0, 5 * 60_000);
      reader.removeCards();
      expect(stored()[0]).toEqual({ card_id: worker.card.id, worker_id: worker.workerId });

      // The bundle held the terminal's password: once applied, it is gone from the card.
      const boot = execFileSync('mdir', ['-b', '-i', `${card}${BOOT}`, '::'], { encoding: 'utf8' });
      expect(boot).not.toMatch(/ccus-gate-bundle/);
      expect(boot).toMatch(/vmlinuz/i);
    },
    25 * 60_000,
  );
});
