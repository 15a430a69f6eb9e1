import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { connectAsync } from 'mqtt';
import type { TerminalRuntimeConfig } from '../config/config-file.js';
import { type Check, check } from './doctor-check.js';
import { readSecret } from './run.js';

/** Opens a TCP (or TLS, for mqtts) connection to the broker: reachability, not a login, so the running terminal's session is left alone. */
export async function checkBroker(config: TerminalRuntimeConfig, timeoutMs: number): Promise<Check> {
  const url = new URL(config.broker.url);
  const tls = url.protocol === 'mqtts:';
  const port = Number(url.port || (tls ? 8883 : 1883));
  const host = url.hostname;
  return new Promise<Check>((resolve) => {
    const socket = tls ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(
        check(
          'broker',
          'fail',
          `${host}:${port} did not answer within ${timeoutMs / 1000} s`,
          'check the network, firewall and broker address',
        ),
      );
    }, timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(check('broker', 'ok', `${host}:${port} reachable${tls ? ' over TLS' : ''}`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(
        check(
          'broker',
          'fail',
          `${host}:${port}: ${error.code ?? error.message}`,
          'check the network, firewall and broker address',
        ),
      );
    });
  });
}

/**
 * Signs in to the broker as the terminal, with its password and CA: the credentials work.
 * The broker takes the terminal's session over for that moment (its client id is its
 * terminal id), so a running terminal reconnects right after; hence only on --login.
 */
export async function checkLogin(config: TerminalRuntimeConfig, timeoutMs: number): Promise<Check> {
  let password: string;
  try {
    password = readSecret(config.broker.passwordFile, 'broker password');
  } catch {
    return check('login', 'fail', 'no password to sign in with', 'see the password check above');
  }
  try {
    const client = await connectAsync(config.broker.url, {
      clientId: config.terminalId,
      username: config.terminalId,
      password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      ...(config.broker.caFile === undefined ? {} : { ca: readFileSync(config.broker.caFile) }),
    });
    await client.endAsync();
    return check('login', 'ok', `signed in to ${config.broker.url} as ${config.terminalId}`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 4 || code === 5) {
      return check(
        'login',
        'fail',
        `the broker refused ${config.terminalId}'s password (${(error as Error).message})`,
        'ask the server for a fresh provisioning bundle and apply it: ccus-gate-terminal provision <bundle>',
      );
    }
    return check(
      'login',
      'fail',
      `could not sign in to ${config.broker.url}: ${(error as Error).message}`,
      'check the broker address, the CA certificate and the network',
    );
  }
}
