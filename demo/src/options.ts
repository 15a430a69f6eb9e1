import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface DemoOptions {
  httpPort: number;
  mqttPort: number;
  ccusPort: number;
  dataDir: string;
  host: string;
  /** Ports the user chose; the others are defaults the demo may move off when they are taken. */
  chosen: ('http' | 'mqtt' | 'ccus')[];
}

export class OptionError extends Error {
  override readonly name = 'OptionError';
}

export const USAGE = `Usage: npm start -- [options]

  --http-port <port>   HTTP API                (env CCUS_GATE_HTTP_PORT, default 8080, else any free port)
  --mqtt-port <port>   embedded MQTT broker    (env CCUS_GATE_MQTT_PORT, default 1883, else any free port)
  --ccus-port <port>   CCUS simulator          (env CCUS_GATE_CCUS_PORT, default: any free port)
  --data-dir <dir>     SQLite files and demo secrets (env CCUS_GATE_DATA_DIR, default ./.data)
  --host <address>     address to listen on    (env CCUS_GATE_HOST, default 127.0.0.1)
  --help`;

function port(value: string, option: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new OptionError(`${option} ${JSON.stringify(value)} is not a port: use a whole number from 0 to 65535`);
  }
  return n;
}

/** Flags win over environment variables, which win over defaults. */
export function parseDemoOptions(argv: string[], env: NodeJS.ProcessEnv): DemoOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'http-port': { type: 'string' },
        'mqtt-port': { type: 'string' },
        'ccus-port': { type: 'string' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new OptionError((error as Error).message);
  }
  if (values.help) return 'help';
  const pick = (flag: string, name: string, fallback: string): [string, string, boolean] => {
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return [fromFlag, `--${flag}`, true];
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return [fromEnv, name, true];
    return [fallback, `--${flag}`, false];
  };
  const [http, httpName, httpChosen] = pick('http-port', 'CCUS_GATE_HTTP_PORT', '8080');
  const [mqtt, mqttName, mqttChosen] = pick('mqtt-port', 'CCUS_GATE_MQTT_PORT', '1883');
  const [ccus, ccusName, ccusChosen] = pick('ccus-port', 'CCUS_GATE_CCUS_PORT', '0');
  const [dataDir] = pick('data-dir', 'CCUS_GATE_DATA_DIR', '.data');
  const [host] = pick('host', 'CCUS_GATE_HOST', '127.0.0.1');
  return {
    httpPort: port(http, httpName),
    mqttPort: port(mqtt, mqttName),
    ccusPort: port(ccus, ccusName),
    dataDir: resolve(dataDir),
    host,
    chosen: [
      ...(httpChosen ? (['http'] as const) : []),
      ...(mqttChosen ? (['mqtt'] as const) : []),
      ...(ccusChosen ? (['ccus'] as const) : []),
    ],
  };
}
