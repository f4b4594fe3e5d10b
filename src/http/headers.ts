import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonBodyReader } from './dialect.ts';

/** Every response: browsers must take the declared Content-Type as it is (no sniffing a JSON error into HTML). */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
}

/** A response that carries a new key or secret: no cache (browser, proxy) may keep a copy. */
export const noStore = <R extends FastifyReply>(reply: R): R => reply.header('cache-control', 'no-store') as R;

/**
 * JSON bodies for every dialect that does not read its own: a blank body (a DELETE or key
 * rotation sent with `Content-Type: application/json` and nothing else) is no body, not an error.
 */
export function acceptEmptyJson(app: FastifyInstance): void {
  const read = jsonBodyReader(app, { empty: undefined });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    read(req, body as string, false, done),
  );
}
