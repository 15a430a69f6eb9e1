import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';

/** swagger-ui-dist's own folder: its files are served from here, so the page needs no network. */
const DIST = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
};

/** The page, and its start script as a file of its own: no inline script, so a strict CSP holds. */
const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>CCUS Gate API reference</title>
  <link rel="stylesheet" href="/api/reference/swagger-ui.css" />
</head>
<body>
  <div id="reference"></div>
  <script src="/api/reference/swagger-ui-bundle.js"></script>
  <script src="/api/reference/swagger-ui-standalone-preset.js"></script>
  <script src="/api/reference/start.js"></script>
</body>
</html>
`;

const START = `window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#reference',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
  deepLinking: true,
  persistAuthorization: false,
  // A token is typed into "Authorize" and sent as Authorization: Bearer; never to another origin.
  validatorUrl: null,
});
`;

/**
 * The interactive API reference at /api/reference: Swagger UI (swagger-ui-dist, served from
 * node_modules, nothing fetched from the internet) over this server's own OpenAPI document.
 */
export function serveApiReference(app: Hono): void {
  const files = new Map<string, Buffer>();
  const file = (name: string): Buffer => {
    let bytes = files.get(name);
    if (bytes === undefined) {
      bytes = readFileSync(join(DIST, name));
      files.set(name, bytes);
    }
    return bytes;
  };
  app.get('/api/reference', (c) => c.html(PAGE));
  app.get('/api/reference/start.js', (c) =>
    c.body(START, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' }),
  );
  for (const [name, type] of Object.entries(ASSETS)) {
    app.get(`/api/reference/${name}`, (c) =>
      c.body(file(name) as unknown as ArrayBuffer, 200, { 'content-type': type, 'cache-control': 'max-age=86400' }),
    );
  }
}
