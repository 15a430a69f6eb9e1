#!/usr/bin/env node
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@ccus-gate/protocol';
import { pino } from 'pino';
import { carriedOver, mosquittoAcl, mosquittoPasswordFile } from '../broker/mosquitto-files.js';
import { mosquittoHash } from '../credentials.js';
import { isPostgresUrl, migratePostgres } from '../store/postgres/pg-migrate.js';
import { makeReleaseKey, signRelease } from '../updates/release-signing.js';
import { type ConfigFiles, readBrokerPassword, readServeFiles } from './config-files.js';
import { ownerOnlyFromNowOn, tightenDatabase } from './file-modes.js';
import { openStore, startFromConfig, withoutPassword } from './run-server.js';
import { loadServerConfig } from './server-config.js';

const USAGE = `usage: ccus-gate-server <command> [--config FILE]

commands:
  serve             run the sync server until stopped (systemd runs this)
  operator-token    create a token for the fleet operator and print it once [--label NAME]
  mosquitto-files   write Mosquitto's acl and password file into --out DIR (external broker)
  migrate           bring the database schema up to date and exit
  release-key       make the operator's release signing key pair in --out DIR (once, offline)
  release-sign      sign a terminal release tarball: release-sign FILE --key FILE; prints JSON

--config defaults to $CCUS_GATE_SERVER_CONFIG or /etc/ccus-gate/server.json`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      label: { type: 'string', default: 'operator' },
      out: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  // The operator's own machine: no server config needed.
  if (command === 'release-key') {
    if (values.out === undefined) {
      console.error('ccus-gate-server: release-key needs --out DIR');
      return 2;
    }
    const { privateFile, publicFile } = makeReleaseKey(values.out);
    process.stdout.write(`wrote ${privateFile} (keep it off the server) and ${publicFile} (updates.publicKeyFile)\n`);
    return 0;
  }
  if (command === 'release-sign') {
    const tarball = positionals[1];
    if (tarball === undefined || values.key === undefined) {
      console.error('ccus-gate-server: release-sign needs the tarball and --key FILE');
      return 2;
    }
    process.stdout.write(`${JSON.stringify(signRelease(tarball, values.key))}\n`);
    return 0;
  }
  if (!['serve', 'operator-token', 'mosquitto-files', 'migrate'].includes(command)) {
    console.error(`ccus-gate-server: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  ownerOnlyFromNowOn();
  const loaded = loadServerConfig(values.config ?? process.env.CCUS_GATE_SERVER_CONFIG ?? '/etc/ccus-gate/server.json');
  // The database URL may hold a password: it can come from the environment instead of the file.
  const url = process.env.CCUS_GATE_DATABASE_URL;
  const config = url === undefined || url === '' ? loaded : { ...loaded, database: url };
  const postgres = isPostgresUrl(config.database);
  if (postgres && command === 'migrate') {
    const { from, to } = await migratePostgres(config.database);
    process.stdout.write(
      from === to
        ? `database ${withoutPassword(config.database)} is up to date (schema ${to})\n`
        : `database ${withoutPassword(config.database)} migrated from schema ${from} to ${to}\n`,
    );
    return 0;
  }
  // Every file `serve` reads, read before the database is touched: one error names all that fail.
  const files: ConfigFiles | null = command === 'serve' ? readServeFiles(config) : null;
  const servicePassword = command === 'mosquitto-files' ? readBrokerPassword(config) : null;
  if (!postgres) tightenDatabase(config.database);
  const log = pino({ level: config.log.level });
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };

  if (command === 'serve') {
    const running = await startFromConfig(config, log, files ?? undefined);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info({ signal }, 'stopping');
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    await running.stop();
    return 0;
  }

  const store = await openStore(config, log);
  try {
    if (command === 'operator-token') {
      print(await store.directory.createApiToken(null, 'operator', values.label));
    } else if (command === 'mosquitto-files') {
      if (config.broker.mode !== 'external' || servicePassword === null) {
        console.error('ccus-gate-server: mosquitto-files is for broker.mode "external"');
        return 2;
      }
      if (values.out === undefined) {
        console.error('ccus-gate-server: mosquitto-files needs --out DIR');
        return 2;
      }
      mkdirSync(values.out, { recursive: true });
      const service = {
        username: config.broker.username,
        hash: mosquittoHash(servicePassword),
      };
      const acl = join(values.out, 'acl');
      const passwd = join(values.out, 'passwd');
      // With several servers: every one's account in the ACL, and the others' lines kept.
      const others = config.broker.mosquitto?.otherServices ?? [];
      writeFileSync(acl, mosquittoAcl([config.broker.username, ...others]));
      const kept = carriedOver(passwd, new Set(others));
      writeFileSync(passwd, mosquittoPasswordFile([service, ...kept, ...(await store.directory.brokerAccounts())]));
      // Mosquitto reads them as its own user: the hashes for its group (chgrp passwd mosquitto), the ACL for anyone.
      chmodSync(passwd, 0o640);
      chmodSync(acl, 0o644);
      print(`wrote ${join(values.out, 'acl')} and ${join(values.out, 'passwd')}`);
    } else {
      print(`database ${withoutPassword(config.database)} is up to date`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 78; // EX_CONFIG: systemd shows it and does not restart in a loop
      return;
    }
    console.error(`ccus-gate-server: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
