import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The console's build (npm run build): dist/console, two folders above this file in src/ and in dist/. */
const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/**
 * The admin console: its static build at /console/ (hashed assets cached for good, the page never),
 * any other /console/ path answered with the page (the console routes in the browser), and / sent there.
 */
export async function serveConsole(app: FastifyInstance, dir = CONSOLE_DIR): Promise<void> {
  app.get('/', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console/'));
  if (!existsSync(`${dir}index.html`)) {
    app.get('/console/*', { schema: { hide: true } }, (_req, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The admin console is not built: run `npm run build` (npm start does it), then restart Roster.'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/console/',
    wildcard: false,
    index: false,
    decorateReply: true,
    cacheControl: false,
    schemaHide: true,
    setHeaders: (res, path) => {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const page = (_req: unknown, reply: { header(k: string, v: string): unknown; sendFile(f: string): unknown }) => {
    reply.header('cache-control', 'no-cache');
    reply.header('x-frame-options', 'DENY');
    reply.header(
      'content-security-policy',
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    return reply.sendFile('index.html');
  };
  app.get('/console', { schema: { hide: true } }, (_req, reply) => reply.redirect('/console/'));
  app.get('/console/', { schema: { hide: true } }, page);
  app.get('/console/*', { schema: { hide: true } }, page);
}
