import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  checkConfig,
  type ProvisioningBundle,
  ProvisioningBundleSchema,
  readJsonConfig,
} from '@ccus-gate/protocol';
import { loadConfig, type TerminalRuntimeConfig } from '../config/config-file.js';
import { TerminalStore } from '../store/terminal-store.js';
import { throughCurrent } from '../update/release-layout.js';

/** A bundle older than this has most likely been replaced by a newer one on the server. */
const STALE_AFTER_DAYS = 14;

export interface ProvisionResult {
  outcome: 'applied' | 'already-applied';
  terminalId: string;
  configPath: string;
  /** Taps of the previous tenant forgotten (already delivered) because the terminal moved to another site. */
  forgottenTaps: number;
  /** Taps of the previous tenant still waiting: kept, they go out with the new credentials and reach that tenant. */
  waitingTaps: number;
}

/** A bundle that cannot be applied, saying why and changing nothing. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  readonly code: 'invalid_bundle' | 'other_terminal' | 'stale';

  constructor(code: ProvisionError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** The profiles shipped with the hardware package this terminal runs (hardware/profiles/). */
function installedProfiles(): string {
  return throughCurrent(fileURLToPath(new URL('../profiles/', import.meta.resolve('@ccus-gate/hardware'))));
}

/** Writes a file whole (temporary file, then rename), readable by its owner only. */
function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
}

/**
 * Applies a provisioning bundle on the terminal: checks it, refuses one for another
 * terminal or one older than what is applied, and writes the config, password and CA
 * certificate, owner-only. Moving to another site forgets the previous tenant's roster and
 * delivered taps; its waiting taps are kept for delivery. Run with the service stopped.
 */
export function provision(
  bundlePath: string,
  configPath: string,
  options: { now?: () => Date; profilesDir?: string } = {},
): ProvisionResult {
  const now = options.now ?? (() => new Date());
  let bundle: ProvisioningBundle;
  try {
    bundle = checkConfig(
      ProvisioningBundleSchema,
      readJsonConfig(bundlePath, (p) => readFileSync(p, 'utf8')),
      bundlePath,
      'the bundle the server issued',
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new ProvisionError('invalid_bundle', error.message);
    throw error;
  }

  const current: TerminalRuntimeConfig | null = existsSync(configPath) ? loadConfig(configPath) : null;
  if (current !== null && current.terminalId !== bundle.terminalId) {
    throw new ProvisionError(
      'other_terminal',
      `this bundle is for terminal ${bundle.terminalId}, but this terminal is ${current.terminalId}; ask for the bundle of ${current.terminalId}`,
    );
  }
  const issued = Date.parse(bundle.issuedAt);
  const applied = current?.provisioned?.issuedAt;
  if (applied !== undefined && issued === Date.parse(applied) && current !== null) {
    const password = existsSync(current.broker.passwordFile)
      ? readFileSync(current.broker.passwordFile, 'utf8').trim()
      : '';
    if (password === bundle.password) {
      return {
        outcome: 'already-applied',
        terminalId: bundle.terminalId,
        configPath,
        forgottenTaps: 0,
        waitingTaps: 0,
      };
    }
  }
  if (applied !== undefined && issued < Date.parse(applied)) {
    throw new ProvisionError(
      'stale',
      `this bundle was issued ${bundle.issuedAt}, before the one already applied (${applied}); its password no longer works`,
    );
  }
  if (now().getTime() - issued > STALE_AFTER_DAYS * 86_400_000) {
    throw new ProvisionError(
      'stale',
      `this bundle was issued ${bundle.issuedAt}, more than ${STALE_AFTER_DAYS} days ago; ask the server for a fresh one`,
    );
  }

  // A move to another site: what the terminal holds is the previous tenant's. Its roster
  // and settled taps go; taps still waiting stay and are delivered with the new password
  // (the old one stopped working when the bundle was issued), filed by the server under
  // the lease in force when they were taken.
  let forgottenTaps = 0;
  let waitingTaps = 0;
  const storePath = current?.store.path ?? '/var/lib/ccus-gate/terminal.db';
  let previousSite = current?.provisioned?.siteId;
  if (previousSite === undefined && existsSync(storePath)) {
    // Configured by hand before: the site the server last configured it for tells.
    const store = TerminalStore.openReadOnly(storePath);
    previousSite = store.savedConfig()?.siteId;
    store.close();
  }
  if (existsSync(storePath) && previousSite !== undefined && previousSite !== bundle.siteId) {
    const store = TerminalStore.open(storePath);
    try {
      ({ forgotten: forgottenTaps, waiting: waitingTaps } = store.forgetTenant());
    } finally {
      store.close();
    }
  }

  const base = dirname(resolve(configPath));
  const passwordFile = current?.broker.passwordFile ?? join(base, 'terminal.password');
  const caFile =
    bundle.broker.caCert === undefined ? undefined : (current?.broker.caFile ?? join(base, 'broker-ca.crt'));
  const releaseKeyFile =
    bundle.releaseKey === undefined ? undefined : (current?.updates.releaseKeyFile ?? join(base, 'release-key.pem'));
  const profile =
    bundle.hardwareProfile === null
      ? (current?.hardware.profile ?? 'simulated')
      : join(options.profilesDir ?? installedProfiles(), `${bundle.hardwareProfile}.json`);
  const previous = current === null ? {} : (JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>);
  const config = {
    ...previous,
    terminalId: bundle.terminalId,
    broker: {
      ...(previous.broker as Record<string, unknown> | undefined),
      url: bundle.broker.url,
      passwordFile,
      ...(caFile === undefined ? {} : { caFile }),
    },
    hardware: { ...(previous.hardware as Record<string, unknown> | undefined), profile },
    ...(releaseKeyFile === undefined
      ? {}
      : { updates: { ...(previous.updates as Record<string, unknown> | undefined), releaseKeyFile } }),
    provisioned: { issuedAt: bundle.issuedAt, siteId: bundle.siteId },
  };
  if (caFile === undefined) delete (config.broker as Record<string, unknown>).caFile;
  // Secrets first, config last: a config never points at a password that is not there yet.
  writePrivate(passwordFile, `${bundle.password}\n`);
  if (caFile !== undefined && bundle.broker.caCert !== undefined) writePrivate(caFile, bundle.broker.caCert);
  if (releaseKeyFile !== undefined && bundle.releaseKey !== undefined) writePrivate(releaseKeyFile, bundle.releaseKey);
  writePrivate(configPath, `${JSON.stringify(config, null, 2)}\n`);
  loadConfig(configPath); // what was written must load: a mistake here shows now, not at the next boot
  return { outcome: 'applied', terminalId: bundle.terminalId, configPath, forgottenTaps, waitingTaps };
}
