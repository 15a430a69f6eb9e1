/**
 * A registration on the CCUS simulator, as the company the body speaks for (the prime of a
 * site, the employer of a place): what a test sets up on CCUS's side, over HTTP. Resolves
 * with the answer's status.
 */
export async function putOnCcus(ccusUrl: string, path: string, body: object): Promise<number> {
  const speaker = body as { primeCompanyId?: string; companyId?: string };
  const response = await fetch(`${ccusUrl}${path}`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'x-ccus-company': speaker.primeCompanyId ?? speaker.companyId ?? '',
    },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}
