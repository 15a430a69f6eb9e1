import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The body of every refusal: RFC 9457 problem details, with `field` naming what was wrong. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string;
  [extra: string]: unknown;
}

/** RFC 9457 problem details: the one error shape of the HTTP API. */
export function problem<Status extends ContentfulStatusCode>(
  c: Context,
  status: Status,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
) {
  const body: ProblemBody = { type: 'about:blank', title, status, detail, ...extra };
  return c.json(body, status, { 'Content-Type': 'application/problem+json' });
}
