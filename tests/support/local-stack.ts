import { type Stack, type StackOptions, startStack } from '@ccus-gate/demo';
import { pino } from 'pino';

/** The whole `npm start` stack in `dataDir`, on loopback and free ports, its log silent. */
export function startLocalStack(dataDir: string, extra: Pick<StackOptions, 'onOutput'> = {}): Promise<Stack> {
  return startStack({
    dataDir,
    host: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    ccusPort: 0,
    log: pino({ level: 'silent' }),
    ...extra,
  });
}
