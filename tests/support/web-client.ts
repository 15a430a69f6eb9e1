import { EventEmitter } from 'node:events';
import {
  clientAddressOf,
  createDashboard,
  hashPassword,
  httpsOf,
  type SyncServerEvents,
  type UpdatesSetup,
  withDashboard,
} from '@ccus-gate/server';
import type { Hono } from 'hono';
import { afterEach, beforeEach } from 'vitest';
import { type ApiFixture, apiFixture } from './api-fixture.js';
import { tempDir } from './temp-dir.js';

/**
 * A browser as far as the dashboard's HTTP goes: it keeps cookies, follows nothing on its
 * own, and sends forms with the CSRF token of the last page it got.
 */
type App = { request(input: string, init?: RequestInit): Response | Promise<Response> };

export class WebClient {
  readonly #app: App;
  readonly cookies = new Map<string, string>();
  readonly #headers: Record<string, string>;
  /** The last page's HTML. */
  html = '';

  constructor(app: App | Hono, headers: Record<string, string> = {}) {
    this.#app = app as App;
    this.#headers = headers;
  }

  async request(method: string, path: string, form?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { ...this.#headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const init: RequestInit = { method, headers };
    if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const response = await this.#app.request(`http://dashboard.test${path}`, init);
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      const expired = attributes.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
    return response;
  }

  /** GETs a page and keeps its HTML (and so its CSRF token). */
  async get(path: string): Promise<Response> {
    const response = await this.request('GET', path);
    this.html = await response.clone().text();
    return response;
  }

  /** The CSRF token in the last page's forms. */
  csrf(): string {
    const match = /name="_csrf" value="([^"]+)"/.exec(this.html);
    if (match === null) throw new Error('the last page has no form with a CSRF token');
    return match[1] as string;
  }

  /** Submits a form with the last page's CSRF token; returns the redirect. */
  post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request('POST', path, { _csrf: this.csrf(), ...fields });
  }

  async signIn(login: string, password: string): Promise<Response> {
    await this.get('/signin');
    return this.request('POST', '/signin', { _csrf: this.csrf(), login, password, next: '/today' });
  }

  /** The one-time message the next page shows, then that page. */
  async follow(response: Response): Promise<string> {
    const location = response.headers.get('location');
    if (location === null) throw new Error(`expected a redirect, got ${response.status}`);
    await this.get(location);
    return this.html;
  }
}

/** The app served on a real socket, for a WebClient: what the server sees is a real peer address. */
export function overHttp(baseUrl: string): App {
  return {
    request: (input, init) => {
      const url = new URL(input);
      return fetch(`${baseUrl}${url.pathname}${url.search}`, { ...init, redirect: 'manual' });
    },
  };
}

export const PASSWORD = 'correct horse battery';

export interface WebFixture extends ApiFixture {
  web: Hono;
  events: EventEmitter<SyncServerEvents>;
  close(): void;
  /** A browser signed in as the login (a-admin, a-viewer, b-admin, sub-admin). */
  client(login: string, headers?: Record<string, string>): Promise<WebClient>;
}

/** The API fixture's tenants with dashboard users, and the dashboard in front of the API. */
export async function webFixture(
  dir: string,
  options: { trustedProxies?: string[]; updates?: UpdatesSetup } = {},
): Promise<WebFixture> {
  const f = apiFixture(dir, options);
  const passwordHash = await hashPassword(PASSWORD);
  const users = [
    [f.a.tenantId, 'a-admin', 'A 管理者', 'admin'],
    [f.a.tenantId, 'a-viewer', 'A 閲覧者', 'viewer'],
    [f.b.tenantId, 'b-admin', 'B 管理者', 'admin'],
    [f.sub.tenantId, 'sub-admin', '下請 管理者', 'admin'],
  ] as const;
  for (const [tenantId, login, name, role] of users) {
    f.store.directory.createUser(tenantId, { login, name, role, passwordHash });
  }
  const events = new EventEmitter<SyncServerEvents>();
  const dashboard = createDashboard({
    api: f.app as unknown as Hono,
    directory: f.store.directory,
    events,
    now: () => f.now.value,
    limiter: f.limiter,
    addressOf: clientAddressOf(options.trustedProxies),
    httpsOf: httpsOf(options.trustedProxies),
  });
  const web = withDashboard(f.app as unknown as Hono, dashboard);
  return {
    ...f,
    web,
    events,
    close() {
      dashboard.close();
      f.close();
    },
    async client(login, headers = {}) {
      const client = new WebClient(web, headers);
      const response = await client.signIn(login, PASSWORD);
      if (response.status !== 303) throw new Error(`sign-in as ${login} answered ${response.status}`);
      return client;
    },
  };
}

/** How many entries the audit trail holds. */
export const auditCount = (f: WebFixture): number =>
  (f.store.db.sql('SELECT count(*) AS n FROM audit_log').get() as { n: number } | undefined)?.n ?? 0;

/** The IDs of the unknown cards the API lists to the holder of `token`. */
export const unknownCardIds = async (f: WebFixture, token: string): Promise<string[]> =>
  (
    (await (await f.call(token, 'GET', '/api/v1/unknown-cards')).json()) as {
      unknownCards: { card: { id: string } }[];
    }
  ).unknownCards.map((u) => u.card.id);

/**
 * A fresh web fixture, in a folder named for the suite, for each test of the describe that
 * calls this; `use` is handed each test's fixture.
 */
export function freshWebFixtures(name: string, use: (f: WebFixture) => void): void {
  const dir = tempDir(name);
  let current: WebFixture | undefined;
  beforeEach(async () => {
    current = await webFixture(dir.path);
    use(current);
  });
  afterEach(() => {
    current?.close();
    dir.remove();
  });
}
