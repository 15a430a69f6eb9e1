import type { AddressInfo } from 'node:net';
import type { ApiApp } from '@ccus-gate/server';
import { serve } from '@hono/node-server';
import { hc } from 'hono/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The API's types reach its clients: Hono's `hc<ApiApp>` over a real socket gets the answers
 * each route declares (the dashboard uses the same client in-process), and the OpenAPI
 * document still lists every route with its refusals.
 */
describe('the typed API client', () => {
  const dir = tempDir('typed-client');
  let f: ApiFixture;
  let server: ReturnType<typeof serve>;
  let base: string;

  beforeEach(async () => {
    f = apiFixture(dir.path);
    server = serve({ fetch: f.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    f.close();
    dir.remove();
  });

  const client = (token: string) => hc<ApiApp>(base, { headers: { authorization: `Bearer ${token}` } }).api.v1;

  it('adds and reads back a worker with the types the routes declare', async () => {
    const v1 = client(f.a.admin);
    const added = await v1.workers.$post({
      json: { workerId: '10000000000099', name: '型付き 太郎', trades: ['とび'] },
    });
    expect(added.status).toBe(201);
    if (added.status !== 201) return;
    const { worker } = await added.json();
    // Typed: a misspelt field does not compile (the tests are type-checked in `npm test`).
    // @ts-expect-error no such field on a worker
    expect(worker.nmae).toBeUndefined();
    expect(worker.trades).toEqual(['とび']);

    const listed = await v1.workers.$get({ query: { limit: 1000 } });
    if (!listed.ok) throw new Error(`listing failed: ${listed.status}`);
    const page = await listed.json();
    expect(page.workers.map((w) => w.workerId)).toContain('10000000000099');
    expect(page.nextOffset).toBeNull();

    const terminal = await v1.terminals[':terminalId'].$get({ param: { terminalId: f.a.terminalId } });
    if (!terminal.ok) throw new Error(`reading the terminal failed: ${terminal.status}`);
    expect((await terminal.json()).terminal.siteId).toBe(f.a.siteId);
  });

  it('gives refusals as problems with the status the route declares', async () => {
    const viewer = client(f.a.viewer);
    const refused = await viewer.workers.$post({ json: { workerId: '10000000000098', name: 'x' } });
    expect(refused.status).toBe(403);
    if (refused.status === 403) expect((await refused.json()).detail).toContain('admin');

    const bad = await client(f.a.admin).workers.$post({ json: { workerId: '123', name: 'x' } });
    expect(bad.status).toBe(400);
    if (bad.status === 400) expect((await bad.json()).field).toBe('workerId');
  });

  it('documents every route with its answer and the refusals every route may give', async () => {
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method} ${path}`, operation })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(76);
    for (const { name, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      expect(statuses, name).toEqual(expect.arrayContaining(['400', '401', '403']));
      expect(operation.responses['403']?.content, name).toHaveProperty(['application/problem+json']);
      expect(
        statuses.some((status) => status.startsWith('2')),
        name,
      ).toBe(true);
    }
    const importRoute = doc.paths['/api/v1/sites/{siteId}/ccus/roster/import']?.post;
    expect(Object.keys(importRoute?.responses ?? {})).toContain('409');
  });
});
