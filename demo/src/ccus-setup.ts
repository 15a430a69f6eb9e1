import type { DemoWorker } from './stack.js';

async function put(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response;
}

/**
 * The demo workers' own CCUS registrations (技能者登録), which in CCUS the workers or their
 * employer make: the simulator's `PUT /v1/workers/{id}` stands in for them.
 */
export async function registerDemoWorkersOnCcus(
  ccusUrl: string,
  employerCompanyId: string,
  workers: readonly DemoWorker[],
): Promise<void> {
  for (const worker of workers) {
    await put(`${ccusUrl}/v1/workers/${worker.workerId}`, {
      name: worker.name,
      employerCompanyId,
      trades: worker.trades,
    });
  }
}

/**
 * The demo site, its structure and roster registered on CCUS the way a contractor does it:
 * through the server's API (POST /api/v1/sites/{id}/ccus/registration), as the site's prime.
 */
export async function registerDemoSiteOnCcus(httpUrl: string, apiToken: string, siteId: string): Promise<void> {
  const response = await fetch(`${httpUrl}/api/v1/sites/${siteId}/ccus/registration`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const body = (await response.json()) as { registration?: { refused: unknown[] }; detail?: string };
  if (!response.ok || body.registration === undefined || body.registration.refused.length > 0) {
    throw new Error(`registering the demo site on the CCUS simulator failed: ${JSON.stringify(body)}`);
  }
}
