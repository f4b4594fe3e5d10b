import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Metrics } from '../metrics.ts';
import type { Principal } from '../domain/privileges.ts';
import { dialectOf } from './dialects/index.ts';
import { toProblem } from './errors.ts';
import { redactUrl } from './redact.ts';
import { docs } from './openapi/route-docs.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code of the request's 4xx/5xx, for its log line. */
    errorCode?: string;
  }
}

/** The route label of requests that matched no route: never the raw path (unbounded). */
const UNMATCHED = '(unmatched)';

const isPrincipal = (v: unknown): v is Principal =>
  typeof v === 'object' && v !== null && ((v as Principal).kind === 'root' || (v as Principal).kind === 'manager');
const idOf = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * Who called and on which tenant, read from the context the serving dialect attached (a principal;
 * an object with `principal` and `tenantId` or `tenant`; or, for /rest/users, the tenant itself).
 */
function callerOf(req: FastifyRequest): { tenant?: number; principal?: Principal } {
  const c = req.dialectContext as Record<string, unknown> | null | undefined;
  const principal = isPrincipal(c) ? c : isPrincipal(c?.principal) ? c.principal : undefined;
  const tenant =
    idOf(c?.tenantId) ??
    idOf((c?.tenant as { id?: unknown } | undefined)?.id) ??
    (c && 'licenseCode' in c ? idOf(c.id) : undefined) ??
    tenantParam(req) ??
    (principal?.kind === 'manager' ? principal.tenantId : undefined);
  return { tenant, principal };
}

function tenantParam(req: FastifyRequest): number | undefined {
  if (!req.routeOptions.url?.startsWith('/admin/v1/tenants/:id')) return undefined;
  const id = Number((req.params as { id?: string } | undefined)?.id);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** The API (dialect) of each route template, worked out once per template. */
const apiOfRoute = new Map<string, string>();
function apiOf(route: string | undefined, url: string): string {
  if (route === undefined) return dialectOf(url.split('?')[0])?.name ?? 'none';
  let api = apiOfRoute.get(route);
  if (api === undefined) apiOfRoute.set(route, (api = dialectOf(route)?.name ?? 'none'));
  return api;
}

const statusClass = (status: number): string => `${Math.floor(status / 100)}xx`;

/**
 * Request ids in the `request-id` response header, one log line per completed request, and the
 * request metrics. Added first, so that every later hook (rate limits, authentication) and every
 * error response already carries the id.
 */
export function addObservability(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('request-id', req.id);
    req.log.debug({ req }, 'incoming request');
    done();
  });
  app.addHook('onError', (req, _reply, err, done) => {
    req.errorCode = toProblem(err).code;
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url;
    const api = apiOf(route, req.url);
    const status = reply.statusCode;
    const labels = { api, route: route ?? UNMATCHED, method: req.method, status_class: statusClass(status) };
    const ms = reply.elapsedTime;
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, ms / 1000);
    if (status === 429 && req.errorCode === 'rate_limited') metrics.rateLimited.inc({ api });
    const { tenant, principal } = callerOf(req);
    req.log.info(
      {
        api,
        method: req.method,
        url: redactUrl(req.url),
        route: route ?? UNMATCHED,
        status,
        durationMs: Math.round(ms * 1000) / 1000,
        tenant,
        principalKind: principal?.kind,
        principalId: principal?.kind === 'manager' ? principal.managerId : undefined,
        errorCode: status >= 400 ? (req.errorCode ?? (route === undefined ? 'not_found' : undefined)) : undefined,
      },
      'request completed',
    );
    done();
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** GET /metrics: the Prometheus text exposition; behind a bearer token when one is configured. */
export function addMetricsRoute(app: FastifyInstance, metrics: Metrics, token: string | null): void {
  const expected = token === null ? null : digest(token);
  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['monitoring'],
        // Without a configured token it is open: the requirement is then optional ({}).
        security: token === null ? [{ metricsToken: [] }, {}] : [{ metricsToken: [] }],
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text format 0.0.4' }),
          401: Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) }),
        },
        ...docs({
          description:
            'Requests, latency, rate-limit refusals, argon2, database pool, imports, webhook deliveries and process ' +
            'metrics. When ROSTER_METRICS_TOKEN is set, requires `Authorization: Bearer <token>` (401 without it); ' +
            'open otherwise. Never rate-limited.',
          responses: {
            200: {
              description: 'Every metric, in the Prometheus text exposition format',
              example:
                '# HELP roster_http_requests_total HTTP requests completed\n# TYPE roster_http_requests_total counter\n' +
                'roster_http_requests_total{api="admin",route="/admin/v1/tenants/:id/users",method="GET",status_class="2xx"} 42\n',
            },
            401: {
              description: 'A token is configured and the request did not send it',
              example: { error: { code: 'unauthorized', message: 'GET /metrics needs the metrics bearer token' } },
            },
          },
        }),
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      if (expected !== null) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
        if (!m || !timingSafeEqual(digest(m[1]), expected)) {
          req.errorCode = 'unauthorized';
          return reply
            .status(401)
            .header('www-authenticate', 'Bearer realm="roster-metrics"')
            .send({ error: { code: 'unauthorized', message: 'GET /metrics needs the metrics bearer token' } });
        }
      }
      return reply.type(metrics.contentType).send(await metrics.text());
    },
  );
}
