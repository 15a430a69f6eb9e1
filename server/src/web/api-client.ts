import type { Hono } from 'hono';
import type { Caller } from '../api/http-api.js';

/** An API answer the dashboard could not use: its status and the problem's detail. */
export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  readonly status: number;
  readonly field: string | null;

  constructor(status: number, detail: string, field: string | null = null) {
    super(detail);
    this.status = status;
    this.field = field;
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
