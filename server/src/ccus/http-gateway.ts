import { CcusError, type CcusGateway, type CcusReceipt, type CcusSubmission } from './gateway.js';
import { COMPANY_HEADER } from './simulator/register-routes.js';
import type { CcusRosterPlace, CcusSiteRegistration, CcusSiteRegistry, CcusSiteWorker } from './site-registry.js';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One call to a CCUS endpoint speaking the simulator's HTTP API (see ccus/simulator).
 * 2xx: done. 4xx other than 408/429: refused for good. Anything else: try again.
 */
async function callCcus(
  url: string,
  init: { method: string; body?: unknown; headers?: Record<string, string> },
  timeoutMs: number,
): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: { 'content-type': 'application/json', ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new CcusError('transient', 'unreachable', `CCUS did not answer: ${(error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return { status: response.status, body };
  const code = typeof body.code === 'string' ? body.code : `http_${response.status}`;
  const message = typeof body.message === 'string' ? body.message : `CCUS answered ${response.status}`;
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new CcusError(
      'transient',
      code,
      message,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
    );
  }
  throw new CcusError('permanent', code, message);
}

/** Imports and registers through the same endpoint as the work records (site-registry.ts). */
class HttpCcusSites implements CcusSiteRegistry {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, timeoutMs: number) {
    this.#baseUrl = baseUrl;
    this.#timeoutMs = timeoutMs;
  }

  async siteWorkers(siteId: string, asCompanyId: string): Promise<CcusSiteWorker[]> {
    const path = `/v1/sites/${encodeURIComponent(siteId)}/workers`;
    const answer = await callCcus(
      `${this.#baseUrl}${path}`,
      { method: 'GET', headers: { [COMPANY_HEADER]: asCompanyId } },
      this.#timeoutMs,
    );
    if (!Array.isArray(answer.body.workers)) {
      throw new CcusError('transient', 'bad_answer', 'CCUS answered the site workers without a list');
    }
    return answer.body.workers as CcusSiteWorker[];
  }

  async registerSite(siteId: string, site: CcusSiteRegistration, asCompanyId: string): Promise<void> {
    await callCcus(
      `${this.#baseUrl}/v1/sites/${encodeURIComponent(siteId)}`,
      { method: 'PUT', body: site, headers: { [COMPANY_HEADER]: asCompanyId } },
      this.#timeoutMs,
    );
  }

  async registerOnRoster(siteId: string, workerId: string, place: CcusRosterPlace, asCompanyId: string): Promise<void> {
    await callCcus(
      `${this.#baseUrl}/v1/sites/${encodeURIComponent(siteId)}/workers/${encodeURIComponent(workerId)}`,
      { method: 'PUT', body: place, headers: { [COMPANY_HEADER]: asCompanyId } },
      this.#timeoutMs,
    );
  }
}

/** Talks to a CCUS endpoint speaking the simulator's HTTP API: work records, and the site registry. */
export class HttpCcusGateway implements CcusGateway {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly sites: CcusSiteRegistry;

  constructor(baseUrl: string, options: { timeoutMs?: number } = {}) {
    this.#baseUrl = baseUrl.replace(/\/$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.sites = new HttpCcusSites(this.#baseUrl, this.#timeoutMs);
  }

  async submit(submission: CcusSubmission): Promise<CcusReceipt> {
    const answer = await callCcus(
      `${this.#baseUrl}/v1/work-records`,
      { method: 'POST', body: submission, headers: { 'idempotency-key': submission.idempotencyKey } },
      this.#timeoutMs,
    );
    if (typeof answer.body.receipt !== 'string') {
      throw new CcusError('transient', 'bad_answer', `CCUS answered ${answer.status} without a receipt`);
    }
    return { receipt: answer.body.receipt, created: answer.status === 201 };
  }
}
