import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from '../support/api-fixture.js';
import { tempDir } from '../support/temp-dir.js';

/** The site's language reaches its terminals' displays through their config. */
describe("a site's language at the gate", () => {
  let dir: ReturnType<typeof tempDir>;
  let f: ApiFixture;

  beforeEach(() => {
    dir = tempDir('site-language');
    f = apiFixture(dir.path);
  });

  afterEach(() => {
    f.close();
    dir.remove();
  });

  it('is Japanese until the prime sets another, and each terminal there gets it in a new config', async () => {
    expect(f.store.directory.configFor(f.a.terminalId)).toMatchObject({ language: 'ja' });
    const version = f.store.directory.configFor(f.a.terminalId)?.version ?? 0;
    const changed = await f.call(f.a.admin, 'PATCH', `/api/v1/sites/${f.a.siteId}`, { language: 'vi' });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ site: { language: 'vi' } });
    expect(f.effects.configs).toContain(f.a.terminalId);
    const config = f.store.directory.configFor(f.a.terminalId);
    expect(config).toMatchObject({ language: 'vi' });
    expect(config?.version).toBeGreaterThan(version);
  });

  it('is one of ja, en, vi and id, and anything else is refused by name with nothing changed', async () => {
    const refused = await f.call(f.a.admin, 'PATCH', `/api/v1/sites/${f.a.siteId}`, { language: 'fr' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('language');
    expect(f.store.directory.configFor(f.a.terminalId)).toMatchObject({ language: 'ja' });
    const created = await f.call(f.a.admin, 'POST', '/api/v1/sites', {
      siteId: '2026000000777',
      name: '現場 id',
      language: 'id',
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ site: { language: 'id' } });
  });
});
