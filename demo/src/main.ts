#!/usr/bin/env node
import { relative } from 'node:path';
import { pino } from 'pino';
import { narrate } from './narrator.js';
import { OptionError, parseDemoOptions, USAGE } from './options.js';
import { PortInUseError, startStack } from './stack.js';

const FLAGS = {
  http: ['--http-port', 'CCUS_GATE_HTTP_PORT'],
  mqtt: ['--mqtt-port', 'CCUS_GATE_MQTT_PORT'],
  ccus: ['--ccus-port', 'CCUS_GATE_CCUS_PORT'],
} as const;

async function main(): Promise<number> {
  let options: ReturnType<typeof parseDemoOptions>;
  try {
    options = parseDemoOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof OptionError) {
      console.error(`ccus-gate: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  // Logs go to stderr so the stage lines on stdout stay readable; quiet unless LOG_LEVEL says otherwise.
  const log = pino({ name: 'ccus-gate', level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  const ports = { http: options.httpPort, mqtt: options.mqttPort, ccus: options.ccusPort };
  while (stack === undefined) {
    try {
      stack = await startStack({ ...options, httpPort: ports.http, mqttPort: ports.mqtt, ccusPort: ports.ccus, log });
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error;
      const [flag, env] = FLAGS[error.which];
      if (!options.chosen.includes(error.which) && ports[error.which] !== 0) {
        // A default port someone else holds (a Mosquitto on 1883, another server on 8080): any free one will do.
        console.error(
          `ccus-gate: ${error.which.toUpperCase()} port ${error.port} is taken; using a free port instead (${flag} to choose)`,
        );
        ports[error.which] = 0;
        continue;
      }
      console.error(
        `ccus-gate: ${error.which.toUpperCase()} port ${error.port} is already in use; choose another with ${flag} <port> or ${env}=<port>, e.g. npm start -- ${flag} ${error.port + 10000}`,
      );
      return 1;
    }
  }
  const { demo } = stack;
  const shown = relative(process.cwd(), options.dataDir) || '.';
  const dataDir = shown.startsWith('..') ? options.dataDir : shown;
  console.log(`CCUS Gate demo is running: broker, sync server, CCUS simulator and terminal ${demo.terminalId}.

  Dashboard       ${stack.http.url}/
  Demo sign-in    login ${demo.signIn.login}, password ${demo.signIn.password}
  HTTP API        ${stack.http.url}/api/v1
  MQTT broker     ${stack.broker.url}
  CCUS simulator  ${stack.ccusHttp.url}
  Demo API token  ${demo.apiToken}
  Data folder     ${dataDir}

  Try: curl -H "Authorization: Bearer ${demo.apiToken}" ${stack.http.url}/api/v1/records

Type a card identifier and press Enter to tap it on the terminal. Demo cards:
${demo.workers.map((w) => `  ${w.card.id.padEnd(20)} ${w.card.tech.padEnd(7)} worker ${w.workerId}`).join('\n')}
Any other 4, 7, 8 or 10-byte hex id is an unknown card; qr: and a worker ID is a scan of
the 建キャリ app's QR code (qr:${demo.workers[0]?.workerId ?? '10000000000001'}). Ctrl-C stops.
`);
  narrate(stack, (line) => console.log(line));
  stack.reader.feedLines(process.stdin);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    // Piped input: let the last taps travel before stopping.
    process.stdin.once('end', () => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (stack.terminalStore.counts().pending === 0 || Date.now() - started > 10_000) {
          clearInterval(poll);
          setTimeout(resolve, 1000);
        }
      }, 100);
    });
  });
  console.log('stopping...');
  await stack.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`ccus-gate: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
