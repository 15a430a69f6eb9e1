import type { KeyObject } from 'node:crypto';
import { rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { OnlineStatus, UpdateOffer } from '@ccus-gate/protocol';
import type { Logger } from 'pino';
import { checkSignature, downloadRelease, UpdateError } from './release-download.js';
import { installRelease } from './release-install.js';
import {
  pruneVersions,
  type ReleaseLayout,
  readUpdateRecord,
  switchCurrent,
  type UpdateRecord,
  writeUpdateRecord,
} from './release-layout.js';

/** Left free on the disk after an update's files, for the taps of a long outage. */
const ROOM_FOR_TAPS = 256 * 1024 * 1024;

const freeBytesAt = (path: string): number => {
  const fs = statfsSync(path);
  return fs.bavail * fs.bsize;
};

export interface UpdaterOptions {
  /** The releases folder this terminal runs from; null when it runs from elsewhere and cannot update itself. */
  layout: ReleaseLayout | null;
  /** The version running now. */
  running: string;
  /** The operator's Ed25519 public key, from the provisioning bundle; null: no update is trusted. */
  releaseKey: KeyObject | null;
  /** How the terminal signs in to download (its broker credentials) and the CA it trusts. */
  download: { username: string; password: string; ca?: Buffer };
  /** No tap for this long before restarting into a new release: nobody is at the gate. */
  quietMs: number;
  /** How long a new release has to come online before the launcher goes back to this one. */
  confirmMs: number;
  /** After a failure that may pass (the server out of reach), when to try the same release again. */
  retryMs?: number;
  /** Free bytes on the disk holding a folder (statfs by default). */
  freeBytes?: (path: string) => number;
  /** When the last tap was taken (ms since the epoch), or null. */
  lastTapAt: () => number | null;
  /** Ends this process; the service manager starts /opt/ccus-gate/launch again, which starts `current`. */
  restart: () => void;
  /** The update's state changed: the status should say so. */
  changed: () => void;
  now: () => Date;
  log: Logger;
}

/**
 * Over-the-air updates on the terminal: a release offered in the config is checked against
 * the operator's signature, downloaded and checked against its SHA-256, installed beside the
 * running one, and started in a quiet moment. The new release confirms itself once online
 * (`confirm`); if it never does, /opt/ccus-gate/launch goes back (deploy/launch-check.mjs).
 */
export class Updater {
  readonly #o: UpdaterOptions;
  #busy: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #deadline: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #stopped = false;
  /** The last update's record where there is no releases folder to keep it in. */
  #unmanaged: UpdateRecord | null = null;

  constructor(options: UpdaterOptions) {
    this.#o = options;
  }

  /** The last update as the status reports it. */
  report(): OnlineStatus['update'] {
    const layout = this.#o.layout;
    const record = layout === null ? this.#unmanaged : readUpdateRecord(layout);
    if (record === null) return null;
    return {
      version: record.version,
      state: record.state === 'pending' ? 'restarting' : record.state,
      detail: record.detail.slice(0, 300),
      at: record.at,
    };
  }

  /**
   * After an update to this release: if it has not come online by its deadline, it ends itself,
   * and the launcher goes back to the release it came from (a crash at start needs no help).
   */
  start(): void {
    const layout = this.#o.layout;
    const record = layout === null ? null : readUpdateRecord(layout);
    if (layout === null || record?.state !== 'pending' || record.version !== this.#o.running) return;
    const left = Date.parse(record.deadline ?? '') - this.#o.now().getTime();
    this.#deadline = setTimeout(
      () => {
        if (readUpdateRecord(layout)?.state !== 'pending') return;
        this.#o.log.error(
          { version: record.version, from: record.from },
          'not online in time after an update: ending, to go back',
        );
        this.#o.restart();
      },
      Math.max(0, Number.isFinite(left) ? left : 0),
    );
  }

  /** This release came online after an update to it: the launcher need not go back. */
  confirm(): void {
    const layout = this.#o.layout;
    if (layout === null) return;
    const record = readUpdateRecord(layout);
    if (record?.state !== 'pending' || record.version !== this.#o.running) return;
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    const { deadline: _deadline, attempts: _attempts, ...kept } = record;
    this.#record({ ...kept, state: 'confirmed', detail: `running ${record.version}, updated from ${record.from}` });
    // This release and the one it came from stay (the next update may go back to this one).
    const removed = pruneVersions(layout, [record.version, record.from]);
    this.#o.log.info({ version: record.version, from: record.from, removed }, 'update confirmed');
  }

  /** A release the server offers: installed once, unless an earlier try ended in a way worth trying again. */
  offer(offer: UpdateOffer): void {
    if (this.#stopped || offer.version === this.#o.running || this.#busy !== null) return;
    const last = this.#o.layout === null ? this.#unmanaged : readUpdateRecord(this.#o.layout);
    if (last !== null && last.version === offer.version) {
      if (last.state === 'rollback_refused') return;
      // A release that crashed is not tried again; one rolled back for not coming online in time
      // (the site's network may have been down) is, hours later; a failure that may pass, sooner.
      const retryAt = last.retryAt === undefined ? null : Date.parse(last.retryAt);
      const stopped = last.state === 'failed' || last.state === 'rolled_back';
      if (stopped && (retryAt === null || this.#o.now().getTime() < retryAt)) {
        if (retryAt !== null) this.#retryLater(offer, retryAt);
        return;
      }
    }
    this.#busy = offer.version;
    void this.#apply(offer).finally(() => {
      this.#busy = null;
    });
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    if (this.#retry !== null) clearTimeout(this.#retry);
  }

  /** Offers the release again at `at` (once: a newer offer replaces it). */
  #retryLater(offer: UpdateOffer, at: number): void {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = setTimeout(
      () => {
        this.#retry = null;
        this.offer(offer);
      },
      Math.max(0, at - this.#o.now().getTime()),
    );
  }

  #record(record: Omit<UpdateRecord, 'at'>): void {
    const full = { ...record, at: this.#o.now().toISOString() };
    if (this.#o.layout === null) this.#unmanaged = full;
    else writeUpdateRecord(this.#o.layout, full);
    this.#o.changed();
  }

  async #apply(offer: UpdateOffer): Promise<void> {
    const { log, running } = this.#o;
    const base = { version: offer.version, from: running };
    const layout = this.#o.layout;
    const file = layout === null ? '' : join(layout.incoming, `${offer.version}.tar.gz`);
    try {
      if (layout === null) {
        throw new UpdateError('this terminal does not run from a releases folder (install.sh); update it by hand', {
          final: true,
        });
      }
      if (this.#o.releaseKey === null) {
        throw new UpdateError('no release key: provision the terminal with a bundle from a server that has one', {
          final: true,
        });
      }
      checkSignature(offer, this.#o.releaseKey);
      // The tarball, the release unpacked and its packages, with room to spare: taps come first.
      const free = (this.#o.freeBytes ?? freeBytesAt)(layout.root);
      const needed = offer.size * 4 + ROOM_FOR_TAPS;
      if (free < needed) {
        throw new UpdateError(`not enough room on the disk: ${free} bytes free, ${needed} needed (taps come first)`);
      }
      this.#record({ ...base, state: 'downloading', detail: `downloading ${offer.size} bytes` });
      log.info({ version: offer.version, url: offer.url }, 'downloading a release');
      await downloadRelease(offer, file, this.#o.download);
      this.#record({ ...base, state: 'installing', detail: 'checked; installing beside the running release' });
      const info = await installRelease(layout, offer.version, file, running);
      rmSync(file, { force: true });
      this.#record({ ...base, state: 'waiting', detail: 'installed; waiting for a minute without taps' });
      log.info(
        { version: info.version, storeSchema: info.storeSchema },
        'release installed; waiting for a quiet moment',
      );
      await this.#quietMoment();
      if (this.#stopped) return;
      this.#record({
        ...base,
        state: 'pending',
        detail: `restarting into ${offer.version}`,
        deadline: new Date(this.#o.now().getTime() + this.#o.confirmMs).toISOString(),
        attempts: 0,
      });
      switchCurrent(layout, offer.version);
      log.info({ version: offer.version, from: running }, 'restarting into the new release');
      this.#o.restart();
    } catch (error) {
      if (file !== '') rmSync(file, { force: true });
      const message = error instanceof UpdateError ? error.message : `update failed: ${(error as Error).message}`;
      if (error instanceof UpdateError && error.final) {
        log.error({ version: offer.version, err: error }, message);
        this.#record({ ...base, state: 'failed', detail: message });
        return;
      }
      const retryAt = this.#o.now().getTime() + (this.#o.retryMs ?? 15 * 60_000);
      const detail = `${message}; trying again at ${new Date(retryAt).toISOString()}`;
      log.warn({ version: offer.version, err: error }, detail);
      this.#record({ ...base, state: 'failed', detail, retryAt: new Date(retryAt).toISOString() });
      this.#retryLater(offer, retryAt);
    }
  }

  /** Resolves once no tap has been taken for `quietMs`. */
  #quietMoment(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const last = this.#o.lastTapAt();
        const idle = last === null ? Number.POSITIVE_INFINITY : this.#o.now().getTime() - last;
        if (this.#stopped || idle >= this.#o.quietMs) {
          resolve();
          return;
        }
        this.#timer = setTimeout(check, Math.min(1000, this.#o.quietMs - idle));
      };
      check();
    });
  }
}
