import { CcusError, type CcusGateway, type CcusReceipt, type CcusSubmission } from './gateway.js';

/**
 * Talks to a CCUS endpoint speaking the simulator's HTTP API (see ccus/simulator).
 * 2xx: held. 4xx other than 408/429: refused for good. Anything else: try again.
 */
export class HttpCcusGateway implements CcusGateway {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;

  constructor(baseUrl: string, options: { timeoutMs?: number } = {}) {
    this.#baseUrl = baseUrl.replace(/\/$/, '');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async submit(submission: CcusSubmission): Promise<CcusReceipt> {
    let response: Response;
    try {
      response = await fetch(`${this.#baseUrl}/v1/work-records`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': submission.idempotencyKey },
        body: JSON.stringify(submission),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new CcusError('transient', 'unreachable', `CCUS did not answer: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => ({}))) as { receipt?: string; code?: string; message?: string };
    if (response.ok && typeof body.receipt === 'string') {
      return { receipt: body.receipt, created: response.status === 201 };
    }
    const code = body.code ?? `http_${response.status}`;
    const message = body.message ?? `CCUS answered ${response.status}`;
    if (response.status === 429 || response.status === 408 || response.status >= 500 || response.ok) {
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
}
