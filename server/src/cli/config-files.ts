import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigProblem } from '@ccus-gate/protocol';
import type { TlsFiles } from '../http/http-listen.js';
import type { ServerConfig } from './server-config.js';

/**
 * What the files a config names hold, read once as a command starts. `serve` reads its files
 * here and only here, so none can be missed by the check below: a file option added to the
 * config gets its field in this type.
 */
export interface ConfigFiles {
  httpTls?: TlsFiles;
  /** Embedded broker: mqtts. */
  brokerTls?: TlsFiles;
  brokerCa?: Buffer;
  /** External broker: the server's own account. */
  brokerPassword?: string;
  smtpPassword?: string;
  updatesKey?: { publicKey: KeyObject; publicKeyPem: string };
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: "not readable by this server's user",
  EISDIR: 'a folder, not a file',
};

/** Reads files by the option that names each, keeping every problem for one error. */
class FileReader {
  readonly problems: ConfigProblem[] = [];

  read(option: string, file: string | undefined): Buffer | undefined {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      const code = String((error as NodeJS.ErrnoException).code);
      this.problems.push({ option, value: file, accepted: `cannot be read: ${REASONS[code] ?? 'an error'} (${code})` });
      return undefined;
    }
  }

  /** A secret file's one line (a trailing newline is not part of it). */
  secret(option: string, file: string | undefined): string | undefined {
    return this.read(option, file)?.toString('utf8').trim();
  }

  tls(option: string, tls: { certFile: string; keyFile: string } | undefined): TlsFiles | undefined {
    if (tls === undefined) return undefined;
    const cert = this.read(`${option}.certFile`, tls.certFile);
    const key = this.read(`${option}.keyFile`, tls.keyFile);
    return cert === undefined || key === undefined ? undefined : { cert, key };
  }

  /** The operator's release key: readable, and an Ed25519 public key. */
  ed25519(option: string, file: string): ConfigFiles['updatesKey'] {
    const pem = this.read(option, file)?.toString('utf8');
    if (pem === undefined) return undefined;
    try {
      const publicKey = createPublicKey(pem);
      if (publicKey.asymmetricKeyType === 'ed25519') return { publicKey, publicKeyPem: pem };
    } catch {
      // Not a key at all: said below, as for a key of another kind.
    }
    this.problems.push({
      option,
      value: file,
      accepted: 'must be an Ed25519 public key in PEM (`ccus-gate-server release-key` makes one)',
    });
    return undefined;
  }

  /** Throws one ConfigError naming every file that could not be used. */
  check(config: ServerConfig): void {
    if (this.problems.length > 0) throw new ConfigError(config.source, this.problems);
  }
}

/**
 * The files `serve` reads, read before anything is opened or started: a technician sees every
 * one that is missing, unreadable or wrong at once, and systemd does not restart a server that
 * would only fail again (ConfigError: exit 78).
 */
export function readServeFiles(config: ServerConfig): ConfigFiles {
  const reader = new FileReader();
  const files: ConfigFiles = {};
  const assign = <K extends keyof ConfigFiles>(key: K, value: ConfigFiles[K] | undefined): void => {
    if (value !== undefined) files[key] = value;
  };
  assign('httpTls', reader.tls('http.tls', config.http.tls));
  assign('brokerCa', reader.read('broker.caFile', config.broker.caFile));
  if (config.broker.mode === 'embedded') {
    assign('brokerTls', reader.tls('broker.tls', config.broker.tls));
  } else {
    assign('brokerPassword', reader.secret('broker.passwordFile', config.broker.passwordFile));
  }
  assign('smtpPassword', reader.secret('alerts.smtp.passwordFile', config.alerts.smtp?.passwordFile));
  if (config.updates !== undefined) {
    assign('updatesKey', reader.ed25519('updates.publicKeyFile', config.updates.publicKeyFile));
  }
  reader.check(config);
  return files;
}

/** The server's own broker password (`mosquitto-files`); null with the embedded broker, which has none. */
export function readBrokerPassword(config: ServerConfig): string | null {
  if (config.broker.mode !== 'external') return null;
  const reader = new FileReader();
  const password = reader.secret('broker.passwordFile', config.broker.passwordFile);
  reader.check(config);
  return password ?? null;
}
