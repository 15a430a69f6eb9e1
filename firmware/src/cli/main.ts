#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../config/config-file.js';
import { formatChecks, runDoctor } from './doctor.js';
import { ProvisionError, provision } from './provision.js';
import { runTerminal } from './run.js';
import { runSelftest } from './selftest.js';
import { formatStatus, statusReport } from './status.js';
import { supportDump } from './support-dump.js';

const USAGE = `usage: ccus-gate-terminal <command> [--config FILE] [--json]

commands:
  run        serve taps until stopped (systemd runs this)
  status     what the local store holds: queue, last tap, rejections
  selftest   lights, buzzer, relay (--relay), reader, then a card; stop the service first
  doctor     check config, secrets, store, disk, clock, broker; says what to fix
             (--login also signs in with the terminal's password; a running terminal reconnects;
             --reader asks each reader its model and firmware, with the service stopped)
  support-dump  write versions, config (no secrets), status, doctor and recent logs to one file
             (--out FILE, default ./ccus-gate-support-<terminal>-<time>.json)
  provision <bundle>  apply a provisioning bundle from the server: writes the config (owner
             only); moving to another site forgets the old tenant's data once delivered

--config defaults to $CCUS_GATE_TERMINAL_CONFIG or /etc/ccus-gate/terminal.json`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      relay: { type: 'boolean', default: false },
      login: { type: 'boolean', default: false },
      reader: { type: 'boolean', default: false },
      out: { type: 'string' },
      wait: { type: 'string', default: '30' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!['run', 'status', 'selftest', 'doctor', 'provision', 'support-dump'].includes(command)) {
    console.error(`ccus-gate-terminal: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const file = values.config ?? process.env.CCUS_GATE_TERMINAL_CONFIG ?? '/etc/ccus-gate/terminal.json';
  if (command === 'provision') {
    const bundle = positionals[1];
    if (bundle === undefined) {
      console.error(`ccus-gate-terminal: provision needs the bundle file\n\n${USAGE}`);
      return 2;
    }
    try {
      const result = provision(bundle, file);
      process.stdout.write(
        result.outcome === 'already-applied'
          ? `${bundle} is already applied to ${result.terminalId}; nothing to do\n`
          : `terminal ${result.terminalId} provisioned: ${result.configPath} written${result.forgottenTaps > 0 ? `, ${result.forgottenTaps} delivered taps of the previous tenant forgotten` : ''}${result.waitingTaps > 0 ? `; ${result.waitingTaps} taps of the previous tenant wait and go to it once the terminal is online` : ''}; (re)start the service\n`,
      );
      return 0;
    } catch (error) {
      if (!(error instanceof ProvisionError)) throw error;
      console.error(`ccus-gate-terminal: ${error.message}`);
      return 1;
    }
  }
  const config = loadConfig(file);
  const log = pino({ level: config.log.level, base: { terminalId: config.terminalId } });
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };

  switch (command) {
    case 'run':
      await runTerminal(config, log);
      return 0;
    case 'status': {
      const report = statusReport(config);
      print(values.json ? JSON.stringify(report, null, 2) : formatStatus(report));
      return 0;
    }
    case 'support-dump': {
      const dump = await supportDump(config);
      const out = values.out ?? `ccus-gate-support-${config.terminalId}-${dump.writtenAt.replace(/[:.]/g, '-')}.json`;
      writeFileSync(out, `${JSON.stringify(dump, null, 2)}\n`, { mode: 0o600 });
      print(`wrote ${out}`);
      return 0;
    }
    case 'doctor': {
      const checks = await runDoctor(config, { login: values.login, reader: values.reader });
      print(values.json ? JSON.stringify(checks, null, 2) : formatChecks(checks));
      return checks.some((c) => c.result === 'fail') ? 1 : 0;
    }
    default: {
      const seconds = Number(values.wait);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new Error(`--wait: ${values.wait} is not a number of seconds`);
      const ok = await runSelftest(config, pino({ level: 'warn' }), {
        relay: values.relay,
        cardTimeoutMs: seconds * 1000,
        input: process.stdin,
        print,
      });
      return ok ? 0 : 1;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // stdin may still be open for the simulated reader; nothing else should keep us alive.
    process.stdin.destroy();
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`ccus-gate-terminal: ${(error as Error).message ?? String(error)}`);
    process.exitCode = 1;
    process.stdin.destroy();
  },
);
