import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services/services.ts';
import { toProblem, type HttpProblem } from './errors.ts';
import { parseForm } from './form.ts';
import type { SecurityRequirement } from './openapi/security.ts';

/**
 * One API surface: its own routes, wire schemas, mapping and error envelope, under one prefix.
 * Every dialect is listed in dialects/index.ts; a dialect reaches the core only through `Services`.
 */
export interface Dialect {
  name: string;
  prefix: string;
  plugin(services: Services): FastifyPluginAsync;
  /** Renders an error in the dialect's envelope (its routes' error handler; also used for errors found before routing). */
  errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): unknown;
  /** The credentials its routes accept (a route may say otherwise in its schema), as the OpenAPI document lists them. */
  security: SecurityRequirement[];
  /** Rewrites a URL under the prefix before routing (SCIM: endpoint names in any case, a trailing slash). */
  rewriteUrl?(url: string): string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who calls and on what, as the dialect serving the request resolved it (see requestContext). */
    dialectContext: unknown;
  }
}

/** Declares the request property every dialect's context lives in (once, before the dialects register). */
export function declareDialectContext(app: FastifyInstance): void {
  app.decorateRequest('dialectContext', null);
}

/**
 * The one way a dialect attaches what its onRequest hook resolved (principal, tenant, …) and its
 * handlers read it back. A request is served by one dialect, so one property holds it.
 */
export interface RequestContext<T> {
  attach(req: FastifyRequest, value: T): void;
  /** The value attached for this request; only called on routes whose hook attaches one. */
  of(req: FastifyRequest): T;
}

export function requestContext<T>(): RequestContext<T> {
  return {
    attach: (req, value) => {
      req.dialectContext = value;
    },
    of: (req) => req.dialectContext as T,
  };
}

/**
 * A dialect's error handler: the shared preamble (unexpected errors logged, Retry-After set) and
 * then the dialect's envelope.
 */
export function errorEnvelope(
  render: (p: HttpProblem, req: FastifyRequest, reply: FastifyReply) => unknown,
): (err: unknown, req: FastifyRequest, reply: FastifyReply) => unknown {
  return (err, req, reply) => {
    const p = toProblem(err);
    if (p.kind === 'internal') req.log.error({ err }, 'unhandled error');
    if (p.retryAfter) reply.header('retry-after', String(p.retryAfter));
    return render(p, req, reply);
  };
}

/** "no route for GET /x": the not-found message every dialect words its 404 with. */
export const noRouteMessage = (req: FastifyRequest) => `no route for ${req.method} ${req.url.split('?')[0]}`;

type Done = (err: Error | null, body?: unknown) => void;

/**
 * A body reader for a dialect's content-type parsers (registered with `parseAs: 'string'`): JSON,
 * or with `form` a urlencoded body that does not start like JSON (what `curl -d` sends). `empty` is
 * what a blank body becomes; `onBadJson` turns a JSON error into the dialect's own error.
 */
export function jsonBodyReader(
  app: FastifyInstance,
  opts: { empty: unknown; onBadJson?: (err: Error) => Error },
): (req: FastifyRequest, body: string, form: boolean, done: Done) => void {
  const json = app.getDefaultJsonParser('error', 'error');
  return (req, body, form, done) => {
    const text = body.trim();
    if (text === '') return done(null, opts.empty);
    if (form && !'{["'.includes(text[0])) return done(null, parseForm(text));
    if (!opts.onBadJson) return json(req, text, done);
    const onBadJson = opts.onBadJson;
    json(req, text, (err, value) => (err ? done(onBadJson(err)) : done(null, value)));
  };
}
