import { MAX_RELEASE_BYTES } from '@ccus-gate/protocol';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { problem } from '../api/problem.js';

export interface BodyLimits {
  /** Every request body, API and dashboard forms alike. */
  maxBytes: number;
  /** Bulk loads (a whole site roster at once). */
  bulkMaxBytes: number;
}

/** A terminal release (PUT /api/v1/fleet/releases/{version}), streamed to disk as it comes. */
const RELEASE_UPLOAD = /^\/api\/v1\/fleet\/releases\/[^/]+\/?$/;

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 64 * 1024, bulkMaxBytes: 8 * 1024 * 1024 };

/** The routes that take a bulk body; everything else has the one small limit. */
const BULK_ROUTES: readonly { method: string; path: RegExp }[] = [
  { method: 'PUT', path: /^\/api\/v1\/sites\/[^/]+\/roster\/?$/ },
  { method: 'POST', path: /^\/api\/v1\/workers\/import\/?$/ },
  // The dashboard's import: a CSV file, then its preview confirmed.
  { method: 'POST', path: /^\/workers\/import(\/confirm)?\/?$/ },
];

const isBulk = (method: string, path: string): boolean =>
  BULK_ROUTES.some((route) => route.method === method && route.path.test(path));

/**
 * The body limit of every route, first in line: a declared Content-Length over the limit
 * is refused before a byte of the body is read; a chunked body is read no further than
 * the limit. Nothing is parsed, counted or looked up before this.
 */
export function limitBodies(limits: BodyLimits = DEFAULT_BODY_LIMITS): MiddlewareHandler {
  const refuse = (maxBytes: number) =>
    bodyLimit({
      maxSize: maxBytes,
      onError: (c) => {
        c.header('connection', 'close'); // the rest of the body is not read: do not reuse the connection
        const detail = `request bodies here are limited to ${maxBytes} bytes`;
        return c.req.path.startsWith('/api/') ? problem(c, 413, 'Content Too Large', detail) : c.text(detail, 413);
      },
    });
  const small = refuse(limits.maxBytes);
  const bulk = refuse(limits.bulkMaxBytes);
  const release = refuse(MAX_RELEASE_BYTES);
  return (c, next) =>
    (c.req.method === 'PUT' && RELEASE_UPLOAD.test(c.req.path)
      ? release
      : isBulk(c.req.method, c.req.path)
        ? bulk
        : small)(c, next);
}
