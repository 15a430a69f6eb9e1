import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

export interface HttpListener {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A certificate chain and its private key, PEM. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

/**
 * Serves a Hono app, over HTTPS when given a certificate and key; rejects with the listen
 * error (e.g. EADDRINUSE) instead of crashing.
 */
export async function listenHttp(
  app: Hono,
  options: { host: string; port: number; tls?: TlsFiles },
): Promise<HttpListener> {
  const server =
    options.tls === undefined
      ? createAdaptorServer({ fetch: app.fetch })
      : createAdaptorServer({
          fetch: app.fetch,
          createServer: createHttpsServer,
          serverOptions: { cert: options.tls.cert, key: options.tls.key },
        });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
