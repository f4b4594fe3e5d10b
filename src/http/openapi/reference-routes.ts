import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

/**
 * GET /docs: the API reference (Scalar's standalone renderer, served from the package: no CDN, no
 * fonts or scripts from elsewhere). Every asset is a file of this server, so the page runs under a
 * Content-Security-Policy that allows nothing else: no inline script, no third-party origin.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // The renderer sets styles at runtime (Vue style bindings): inline styles, never inline script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Roster API</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/scalar.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

/** What the renderer shows: this server's document, no hosted client, proxy, fonts or vendor footer. */
const CONFIG = {
  url: '/openapi.json',
  metaData: { title: 'Roster API' },
  withDefaultFonts: false,
  hideClientButton: true,
  showDeveloperTools: 'never',
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  documentDownloadType: 'json',
  customCss: '.darklight-reference-promo, a[href*="scalar.com"] { display: none !important; }',
};
const INIT = `Scalar.createApiReference('#reference', ${JSON.stringify(CONFIG)});\n`;

const require = createRequire(import.meta.url);
let renderer: Promise<Buffer> | undefined;

export function addReferenceRoutes(app: FastifyInstance): void {
  const hidden = { schema: { hide: true } };
  const page = async (_req: unknown, reply: import('fastify').FastifyReply) =>
    reply.header('content-security-policy', DOCS_CSP).type('text/html; charset=utf-8').send(PAGE);
  app.get('/docs', hidden, page);
  app.get('/docs/', hidden, page);
  app.get('/docs/init.js', hidden, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(INIT),
  );
  app.get('/docs/scalar.js', hidden, async (_req, reply) => {
    renderer ??= readFile(require.resolve('@scalar/api-reference/browser/standalone.js'));
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(await renderer);
  });
}
