import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import cookie from '@fastify/cookie';
import { serveConsole } from './console.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../services/services.ts';
import { validatorCompiler } from './validation.ts';
import { toProblem } from './errors.ts';
import { dialectOf, dialects } from './dialects/index.ts';
import { declareDialectContext } from './dialect.ts';
import { DomainError } from '../domain/errors.ts';
import { addRateLimit, type RateLimitOptions } from './rate-limit.ts';
import { addBodyDepthLimit } from './body-depth.ts';
import { refuseNonCanonicalIds } from './canonical-ids.ts';
import { acceptEmptyJson, addSecurityHeaders } from './headers.ts';
import { requestIdOf } from './request-id.ts';
import { publicOriginResolver } from './public-origin.ts';
import { REDACT, redactUrl } from './redact.ts';

export { REDACT, redactUrl } from './redact.ts';
import { addMetricsRoute, addObservability } from './observability.ts';
import { swaggerOptions, withServers } from './openapi/document.ts';
import { addReferenceRoutes } from './openapi/reference-routes.ts';
import { docs } from './openapi/route-docs.ts';
import { PUBLIC } from './openapi/security.ts';
import { Health, OpenApiDocument } from './openapi/service-schemas.ts';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Per-key and per-IP request limits (main.ts passes the configured ones); none when absent. */
  rateLimit?: RateLimitOptions | false;
  /** How long a client may take to send its request headers (default 10 s; tests shorten it). */
  headersTimeoutMs?: number;
  /** Bearer token GET /metrics requires (ROSTER_METRICS_TOKEN); open when absent. */
  metricsToken?: string | null;
  /** The URL clients reach this Roster at (ROSTER_PUBLIC_URL): absolute URLs are built on it. */
  publicUrl?: string | null;
  /** Without a public URL, the Hosts whose origin absolute URLs may use (ROSTER_HOSTS; loopback names by default). */
  hosts?: readonly string[];
  /** Fastify's trustProxy (ROSTER_TRUST_PROXY): a hop count or addresses/CIDRs; none by default. */
  trustProxy?: number | string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Where absolute URLs start for this request ('' when the Host is not one Roster answers for). */
    publicOrigin(req: FastifyRequest): string;
  }
}

const API_VERSION = '0.1.0';
const serviceTags = ['service'];

export type App = FastifyInstance;

export interface RouteEntry {
  method: string;
  url: string;
  /** The route's own body limit, when it sets one (else the app's 1 MiB). */
  bodyLimit?: number;
}
const routeLists = new WeakMap<object, RouteEntry[]>();
/** Every route registered on an app, in order (the fuzz and cross-dialect tests drive them all). */
export const routesOf = (app: App): RouteEntry[] => routeLists.get(app) ?? [];

/** Fastify's request log fields, with the URL's secrets redacted. */
const reqSerializer = (req: {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) => ({
  method: req.method,
  url: redactUrl(req.url),
  host: req.host,
  remoteAddress: req.ip,
  remotePort: req.socket?.remotePort,
});

/** Logger options get the redaction paths and the request serializer unless they bring their own. */
function loggerOptions(logger: AppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger || typeof logger !== 'object' || typeof (logger as { info?: unknown }).info === 'function')
    return logger ?? false;
  const o = logger as { redact?: unknown; serializers?: Record<string, unknown> };
  return {
    ...o,
    redact: o.redact ?? REDACT,
    serializers: { req: reqSerializer, ...o.serializers },
  } as unknown as FastifyServerOptions['logger'];
}

/** A hop count trusts that many proxies nearest to us (what proxy-addr does for a number); a list, those addresses. */
const trustProxyOption = (t: number | string) => (typeof t === 'number' ? (_addr: string, hop: number) => hop < t : t);

export async function buildApp(services: Services, opts: AppOptions = {}): Promise<App> {
  const app = Fastify({
    logger: loggerOptions(opts.logger),
    // Every log line of a request carries its id (traceparent's, or a new one); the one line per
    // request is observability.ts's "request completed", with what Fastify's two lines lacked.
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Explicit header limits: at most 16 KiB of headers (431 past it), sent within 10 s, checked every second.
    http: {
      maxHeaderSize: 16 * 1024,
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      connectionsCheckingInterval: 1000,
    },
    // Slow or stuck clients cannot hold a connection for long.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 500 },
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      return dialectOf(url)?.rewriteUrl?.(url) ?? url;
    },
    return503OnClosing: true,
    // Behind a proxy, the client's address, protocol and host come from X-Forwarded-* only when it is trusted.
    ...(opts.trustProxy !== undefined ? { trustProxy: trustProxyOption(opts.trustProxy) } : {}),
    forceCloseConnections: 'idle',
    ajv: undefined,
    // Errors found before routing (a URL that does not decode): answered in the envelope of the
    // dialect the URL is under, like any other 400 of that API.
    frameworkErrors: (err, req, reply) => {
      const e =
        err.code === 'FST_ERR_BAD_URL'
          ? new DomainError(
              'invalid',
              'request.bad_url',
              'the URL is not valid: a %-escape does not decode to UTF-8 text',
            )
          : new DomainError('invalid', 'request.invalid', err.message);
      reply.header('request-id', req.id);
      reply.header('x-content-type-options', 'nosniff');
      const d = dialectOf(req.url);
      if (d) return d.errorHandler(e, req, reply as FastifyReply);
      return (reply as FastifyReply).status(400).send({ error: { code: e.code, message: e.message } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.decorate('publicOrigin', publicOriginResolver(opts));
  addSecurityHeaders(app);
  acceptEmptyJson(app);
  const routes: RouteEntry[] = [];
  routeLists.set(app, routes);
  // A dialect's routes take the credentials its onRequest hook reads; the document lists them on each operation.
  app.addHook('onRoute', (r) => {
    const d = dialectOf(r.url);
    if (d && r.schema && r.schema.security === undefined) r.schema = { ...r.schema, security: d.security };
    for (const method of [r.method].flat())
      routes.push({ method, url: r.url, ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}) });
  });

  await app.register(swagger, swaggerOptions(API_VERSION));
  addReferenceRoutes(app);

  // Outside every dialect: plain JSON errors.
  app.setErrorHandler((err, req, reply) => {
    const p = toProblem(err);
    if (p.status >= 500 && p.kind === 'internal') req.log.error({ err }, 'unhandled error');
    if (p.retryAfter) reply.header('retry-after', String(p.retryAfter));
    return reply.status(p.status).send({ error: { code: p.code, message: p.message } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route for ${req.method} ${req.url.split('?')[0]}` } }),
  );

  addObservability(app, services.metrics);
  // Before every route and dialect: over a limit, the route's own dialect renders the 429.
  if (opts.rateLimit) addRateLimit(app, opts.rateLimit);
  addBodyDepthLimit(app);
  refuseNonCanonicalIds(app);

  app.get(
    '/health',
    {
      schema: {
        tags: serviceTags,
        operationId: 'getHealth',
        summary: 'Liveness: the process answers',
        ...docs({
          description:
            'Always 200 while the process runs; it does not touch the database (see getReadiness). Open to anyone, never rate-limited.',
          responses: { 200: { description: 'The process is up', example: { status: 'ok' } } },
        }),
        security: PUBLIC,
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      schema: {
        tags: serviceTags,
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers',
        ...docs({
          description:
            '200 when the database answers a ping, 503 when it does not: take this process out of rotation until it answers again. Open to anyone.',
          responses: {
            200: { description: 'The database answers: this process can serve requests', example: { status: 'ok' } },
            503: { description: 'The database does not answer', example: { status: 'unavailable' } },
          },
        }),
        security: PUBLIC,
        response: { 200: Health, 503: Health },
      },
    },
    async (_req, reply) => {
      try {
        await services.ping();
        return { status: 'ok' as const };
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const });
      }
    },
  );
  addMetricsRoute(app, services.metrics, opts.metricsToken ?? null);
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: serviceTags,
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI document',
        ...docs({
          description:
            'The OpenAPI 3.0 document of every API Roster serves, the one @roster/client is generated from; `servers` names this Roster (ROSTER_PUBLIC_URL, else the origin of a Host it answers for). Open to anyone.',
          responses: {
            200: {
              description: 'This document',
              example: { openapi: '3.0.3', info: { title: 'Roster API', version: '0.1.0' }, paths: {} },
            },
          },
        }),
        security: PUBLIC,
        response: { 200: OpenApiDocument },
      },
    },
    async (req) => withServers(app.swagger() as unknown as Record<string, unknown>, app.publicOrigin(req) || '/'),
  );

  declareDialectContext(app);
  await app.register(cookie);
  await serveConsole(app);
  for (const d of dialects) await app.register(d.plugin(services), { prefix: d.prefix });
  return app;
}
