import type { Hono } from 'hono';
import { type ClientResponse, hc } from 'hono/client';
import type { ApiApp, Caller } from '../api/http-api.js';
import type { Messages } from './i18n.js';

/**
 * An API answer the dashboard could not use, or a form it refused before asking: the status,
 * the problem's detail (the API's words, in English) and the field it names. `say` is the
 * dashboard's own message in the user's language, for what the dashboard itself refused.
 */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  readonly status: number;
  readonly field: string | null;
  readonly say: ((t: Messages) => string) | null;

  constructor(
    status: number,
    detail: string,
    field: string | null = null,
    say: ((t: Messages) => string) | null = null,
  ) {
    super(detail);
    this.status = status;
    this.field = field;
    this.say = say;
  }
}

/**
 * What went wrong, in the user's language: what kind of refusal and which field, then the
 * API's own detail, which names the value (and which support reads in English).
 */
export function describeFailure(t: Messages, error: DashboardError): string {
  if (error.say !== null) return error.say(t);
  if (error.status === 403) return t.forbidden;
  // The API names a path such as "lastOut" or "card.id": its first part the form knows is the field.
  const path = error.field ?? '';
  const key = t.fields[path] !== undefined ? path : path.split('.').find((part) => t.fields[part] !== undefined);
  const label = key === undefined ? null : (t.fields[key] ?? null);
  switch (error.status) {
    case 400:
      return t.withDetail(label === null ? t.checkInput : t.checkField(label), error.message);
    case 404:
      return t.withDetail(label === null ? t.notFound : t.fieldNotFound(label), error.message);
    case 409:
      return t.withDetail(t.conflict, error.message);
    case 429:
      return t.tooMany;
    case 503:
      return t.unavailable;
    default:
      return t.serverFailed;
  }
}

/** The API's version 1, as the typed client calls it: `v1.sites[':siteId'].roster.$get(...)`. */
export type ApiV1 = ReturnType<typeof hc<ApiApp>>['api']['v1'];

/** What a call answers when it succeeds: the JSON its route declares for 2xx. */
export type Success<R> =
  R extends ClientResponse<infer Data, infer Status, infer _Format>
    ? Status extends 200 | 201 | 202
      ? Data
      : never
    : never;

export type Sent<T> = { ok: true; data: T } | { ok: false; error: DashboardError };

/**
 * The dashboard speaks to the HTTP API in-process as the signed-in user, so a page sees and
 * changes exactly what that user's API calls may: the same role checks, tenant scope,
 * validation and audit trail, written once. Calls go through Hono's typed client (`v1`),
 * so requests and answers are the API's own types, never declared again here.
 */
export class ApiClient {
  readonly v1: ApiV1;

  constructor(app: Hono, caller: Caller) {
    const client = hc<ApiApp>('http://dashboard.internal', {
      fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
        Promise.resolve(app.request(input, init, { caller })),
    });
    this.v1 = encodingPathParams(client.api.v1);
  }

  /** A read's answer; a problem becomes a DashboardError the page shows. */
  async read<R extends ClientResponse<unknown, number, string>>(call: Promise<R>): Promise<Success<R>> {
    const response = await call;
    if (!response.ok) throw await problemOf(response);
    return (await response.json()) as Success<R>;
  }

  /**
   * Every item of a paged list (the API bounds each page in rows and bytes), page after page
   * until `nextOffset` is null: for what a page needs whole, such as who is on a site roster.
   */
  async all<R extends ClientResponse<unknown, number, string>, K extends keyof Success<R> & string>(
    key: K,
    page: (paging: { limit: number; offset: number }) => Promise<R>,
  ): Promise<Success<R>[K]> {
    const items: unknown[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const answer = (await this.read(page({ limit: 1000, offset }))) as Record<string, unknown>;
      items.push(...((answer[key] as unknown[] | undefined) ?? []));
      const next = answer.nextOffset;
      offset = typeof next === 'number' && next > offset ? next : null;
    }
    return items as Success<R>[K];
  }

  /** A download (CSV): the API's own response, headers included. */
  async download(call: Promise<ClientResponse<unknown, number, string>>): Promise<Response> {
    const response = await call;
    if (!response.ok) throw await problemOf(response);
    return response as unknown as Response;
  }

  /** A change; the outcome is returned rather than thrown, for the page to report. */
  async send<R extends ClientResponse<unknown, number, string>>(call: Promise<R>): Promise<Sent<Success<R>>> {
    const response = await call;
    if (!response.ok) return { ok: false, error: await problemOf(response) };
    return { ok: true, data: (await response.json()) as Success<R> };
  }
}

/**
 * Hono's client puts path parameters into the URL as they are, and drops an empty one: a
 * worker ID typed as `../tenants` or left empty would reach another route. Every parameter
 * is percent-encoded here (the API decodes it), an empty one sent as a space its schema refuses.
 */
function encodingPathParams<T>(client: T): T {
  const wrap = (target: unknown): unknown =>
    typeof target !== 'function'
      ? target
      : new Proxy(target, {
          get: (fn, key) => wrap(Reflect.get(fn, key)),
          apply: (fn, self, [input, ...rest]: unknown[]) => {
            const param = (input as { param?: Record<string, unknown> } | undefined)?.param;
            if (param === undefined) return Reflect.apply(fn, self, [input, ...rest]);
            const encoded = Object.fromEntries(
              Object.entries(param).map(([name, value]) => [name, encodeURIComponent(String(value)) || '%20']),
            );
            return Reflect.apply(fn, self, [{ ...(input as object), param: encoded }, ...rest]);
          },
        });
  return wrap(client) as T;
}

async function problemOf(response: {
  status: number;
  statusText: string;
  text(): Promise<string>;
}): Promise<DashboardError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string; field?: string };
    return new DashboardError(response.status, problem.detail ?? problem.title ?? text, problem.field ?? null);
  } catch {
    return new DashboardError(response.status, text || response.statusText);
  }
}
