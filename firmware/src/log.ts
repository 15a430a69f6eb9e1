import { type Logger, pino } from 'pino';

/**
 * Structured logs to stdout (journald on a Pi), quiet by default: an SD card should
 * see the database written, not chatter. `LOG_LEVEL=debug` when diagnosing.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'warn'): Logger {
  return pino({ name, level });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
