import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { LIMITS } from '@ccus-gate/protocol';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { TlsFiles } from '../http/http-listen.js';
import type { ServerStores } from '../store/server-stores.js';
import { mayPublish, maySubscribe, type Principal } from './access.js';
import { MalformedPacketLength, PacketSizeGuard, PacketTooLarge } from './packet-size-guard.js';

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Terminals' credentials, and where refused publishes are kept. */
  stores: Pick<ServerStores, 'directory' | 'quarantineLog'>;
  /** The sync server's own account on this broker. */
  service: { username: string; password: string };
  log: Logger;
  /** Serve MQTT over TLS (mqtts) with this certificate and key. */
  tls?: TlsFiles;
  /** The largest MQTT packet anyone may send; terminals get at most TERMINAL_MAX_PACKET_BYTES. */
  maxPacketBytes?: number;
}

/** A little above the protocol's largest message (a roster), with room for the topic and header. */
export const DEFAULT_MAX_PACKET_BYTES = LIMITS.messageBytes.roster + 4096;
/** A little above the largest message a terminal sends (a tap batch). */
export const TERMINAL_MAX_PACKET_BYTES = Math.max(LIMITS.messageBytes.taps, LIMITS.messageBytes.status) + 4096;

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  /** MQTT connections now (terminals and the server's own). */
  connections(): number;
  close(): Promise<void>;
}

const principals = new WeakMap<Client, Principal>();
const guards = new WeakMap<object, PacketSizeGuard>();

function authError(message: string): AuthenticateError {
  // 4: bad user name or password (MQTT 3.1.1 CONNACK return code).
  return Object.assign(new Error(message), { returnCode: 4 }) as AuthenticateError;
}

/** An aedes broker whose hooks consult the terminal registry. */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { stores, service, log } = options;
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const secret = password?.toString('utf8') ?? '';
      if (username === service.username && secret === service.password) {
        principals.set(client, { kind: 'service' });
        done(null, true);
        return;
      }
      // A terminal's client id is its terminal id, so no one can take over its session.
      const refuse = (): void => {
        log.warn({ clientId: client.id, username }, 'broker: refused a connection');
        done(authError('bad user name or password'), false);
      };
      if (username === undefined || client.id !== username) return refuse();
      Promise.resolve(stores.directory.terminalSecretMatches(username, secret)).then(
        (matches) => {
          if (!matches) return refuse();
          principals.set(client, { kind: 'terminal', terminalId: username });
          const guard = guards.get(client.conn);
          if (guard !== undefined) guard.limit = Math.min(guard.limit, TERMINAL_MAX_PACKET_BYTES);
          done(null, true);
        },
        (error: unknown) => {
          log.error({ err: error, clientId: client.id }, 'broker: could not check a terminal password');
          refuse();
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (client === null) return done(null); // the broker's own messages (last wills are re-checked below)
      const who = principals.get(client);
      const why = who === undefined ? 'not authenticated' : mayPublish(who, packet.topic);
      if (why === null) return done(null);
      log.warn({ clientId: client.id, topic: packet.topic, why }, 'broker: refused a publish');
      Promise.resolve(
        stores.quarantineLog.keep({
          topic: packet.topic,
          clientId: client.id,
          code: 'not_permitted',
          reason: why,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        }),
      ).catch((error: unknown) => log.error({ err: error }, 'broker: could not quarantine a refused publish'));
      done(new Error(why));
    },
    authorizeSubscribe(client, subscription, done) {
      const who = principals.get(client);
      const why = who === undefined ? 'not authenticated' : maySubscribe(who, subscription.topic);
      if (why === null) return done(null, subscription);
      log.warn({ clientId: client.id, topic: subscription.topic, why }, 'broker: refused a subscription');
      done(null, null);
    },
  });

  // Small messages that want an answer: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms a hop.
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const handle = (socket: Socket): void => {
    socket.setNoDelay(true);
    const guard = new PacketSizeGuard(maxPacketBytes);
    guard.on('error', (error) => {
      // aedes tearing the connection down (the client left, the broker stops) fails the guard
      // too, with an AbortError: that is no oversized packet, and the socket is going anyway.
      if (error instanceof PacketTooLarge) {
        log.warn(
          { err: error, address: socket.remoteAddress },
          'broker: closed a connection sending an oversized packet',
        );
      } else if (error instanceof MalformedPacketLength) {
        log.warn(
          { err: error, address: socket.remoteAddress },
          'broker: closed a connection sending a malformed packet',
        );
      }
      socket.destroy();
    });
    socket.pipe(guard);
    const conn = Duplex.from({ readable: guard, writable: socket });
    guards.set(conn, guard);
    broker.handle(conn);
  };
  const server: Server =
    options.tls === undefined
      ? createServer(handle)
      : createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handle).on('tlsClientError', (error) =>
          log.warn({ err: error }, 'broker: a TLS handshake failed'),
        );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `${options.tls === undefined ? 'mqtt' : 'mqtts'}://${options.host}:${port}`,
    port,
    connections: () => broker.connectedClients,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
