import type { Hono } from 'hono';
import type { Caller } from '../api/http-api.js';
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

export type Sent = { ok: true; data: Record<string, unknown> } | { ok: false; error: DashboardError };

/**
 * The dashboard speaks to the HTTP API in-process as the signed-in user, so a page sees and
 * changes exactly what that user's API calls may: the same role checks, tenant scope,
 * validation and audit trail, written once.
 */
export class ApiClient {
  readonly #app: Hono;
  readonly #caller: Caller;

  constructor(app: Hono, caller: Caller) {
    this.#app = app;
    this.#caller = caller;
  }

  /** GETs a JSON answer; a problem becomes a DashboardError the page shows. */
  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    const response = await this.#request('GET', search.size === 0 ? path : `${path}?${search}`);
    if (!response.ok) throw await problemOf(response);
    return (await response.json()) as T;
  }

  /**
   * Every item of a paged list (the API bounds each page in rows and bytes), page after page
   * until `nextOffset` is null: for what a page needs whole, such as who is on a site roster.
   */
  async all<T>(path: string, key: string, query: Record<string, string | number | undefined> = {}): Promise<T[]> {
    const items: T[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page: Record<string, unknown> = await this.get(path, { ...query, limit: 1000, offset });
      items.push(...((page[key] as T[] | undefined) ?? []));
      const next = page.nextOffset;
      offset = typeof next === 'number' && next > offset ? next : null;
    }
    return items;
  }

  /** A download (CSV): the API's own response, headers included. */
  async download(path: string, query: Record<string, string | undefined>): Promise<Response> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') search.set(key, value);
    const response = await this.#request('GET', `${path}?${search}`);
    if (!response.ok) throw await problemOf(response);
    return response;
  }

  /** A change; the outcome is returned rather than thrown, for the page to report. */
  async send(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Sent> {
    const response = await this.#request(method, path, body);
    if (!response.ok) return { ok: false, error: await problemOf(response) };
    return { ok: true, data: (await response.json()) as Record<string, unknown> };
  }

  #request(method: string, path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    return Promise.resolve(this.#app.request(path, init, { caller: this.#caller }));
  }
}

async function problemOf(response: Response): Promise<DashboardError> {
  const text = await response.text();
  try {
    const problem = JSON.parse(text) as { detail?: string; title?: string; field?: string };
    return new DashboardError(response.status, problem.detail ?? problem.title ?? text, problem.field ?? null);
  } catch {
    return new DashboardError(response.status, text || response.statusText);
  }
}
