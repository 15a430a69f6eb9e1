import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import proxyaddr from 'proxy-addr';

/** The address a request came from, for counting failed sign-ins and for logs. */
export type AddressOf = (c: Context) => string;

/**
 * The client's address: the socket's peer, or, when that peer is one of `trustedProxies`,
 * the address the proxies name in X-Forwarded-For (the nearest one not itself trusted).
 * `trustedProxies` takes addresses, CIDR ranges and the names `loopback`, `linklocal` and
 * `uniquelocal` (proxy-addr's). Without it, X-Forwarded-For is ignored: anyone can send one.
 */
export function clientAddressOf(trustedProxies: readonly string[] = []): AddressOf {
  const trust = proxyaddr.compile([...trustedProxies]);
  return (c) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // In-process requests (the dashboard calling its own API, tests) have no socket.
    if (incoming?.socket?.remoteAddress === undefined) return 'local';
    return proxyaddr(incoming, trust);
  };
}

/** Whether a request reached us over HTTPS: the socket's own, or as a trusted proxy says. */
export type HttpsOf = (c: Context) => boolean;

/**
 * Whether the browser's connection is HTTPS: TLS on our own socket, or, when the socket's peer
 * is one of `trustedProxies`, X-Forwarded-Proto (its first entry) saying https. From anyone
 * else the header is ignored, as X-Forwarded-For is.
 */
export function httpsOf(trustedProxies: readonly string[] = []): HttpsOf {
  const trust = proxyaddr.compile([...trustedProxies]);
  return (c) => {
    if (new URL(c.req.url).protocol === 'https:') return true;
    const peer = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket?.remoteAddress;
    if (peer === undefined || !trust(peer, 0)) return false;
    return (c.req.header('x-forwarded-proto') ?? '').split(',')[0]?.trim().toLowerCase() === 'https';
  };
}

/** Throws, naming the entry, when a trustedProxies entry is not an address, range or known name. */
export function checkTrustedProxies(entries: readonly string[]): void {
  for (const entry of entries) {
    try {
      proxyaddr.compile(entry);
    } catch {
      throw new Error(`"${entry}" is not an IP address, a CIDR range, loopback, linklocal or uniquelocal`);
    }
  }
}
