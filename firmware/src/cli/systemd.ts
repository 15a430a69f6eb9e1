import type { Logger } from 'pino';

interface SdNotify {
  ready(): void;
  watchdog(): void;
  watchdogInterval(): number;
  sendStatus(text: string): void;
}

export interface SystemdNotifier {
  /** Tells systemd the terminal is up (Type=notify) and starts the watchdog pings, if asked for. */
  ready(status: string): void;
  status(text: string): void;
  stop(): void;
}

/**
 * systemd's notify protocol through `sd-notify` (a thin binding to libsystemd, an optional
 * dependency: it builds only where libsystemd-dev is installed, as on a provisioned Pi).
 * Outside systemd (no NOTIFY_SOCKET) this does nothing at all.
 */
export async function systemdNotifier(log: Logger): Promise<SystemdNotifier> {
  const none: SystemdNotifier = { ready: () => {}, status: () => {}, stop: () => {} };
  if (process.env.NOTIFY_SOCKET === undefined) return none;
  let sd: SdNotify;
  try {
    // A variable specifier keeps TypeScript from requiring the optional module at build time.
    const name = 'sd-notify';
    const module = (await import(name)) as { default?: SdNotify } & SdNotify;
    sd = module.default ?? module;
  } catch (error) {
    log.error(
      { err: error },
      'systemd expects notifications (NOTIFY_SOCKET is set) but sd-notify is not installed: apt install libsystemd-dev, then npm ci',
    );
    return none;
  }
  let timer: NodeJS.Timeout | null = null;
  return {
    ready(status) {
      sd.ready();
      sd.sendStatus(status);
      // WATCHDOG_USEC comes from WatchdogSec=; ping at half of it, as systemd advises. The ping
      // comes from the event loop, so a loop stuck behind a hung call stops it and systemd restarts us.
      const intervalMs = sd.watchdogInterval();
      if (intervalMs > 0) {
        timer = setInterval(() => sd.watchdog(), Math.max(500, Math.floor(intervalMs / 2)));
        timer.unref();
      }
    },
    status(text) {
      sd.sendStatus(text);
    },
    stop() {
      if (timer !== null) clearInterval(timer);
    },
  };
}
