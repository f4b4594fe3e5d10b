import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../services/services.ts';
import type { IdempotentRequest } from '../../../services/idempotency-service.ts';
import { invalid } from '../../../domain/errors.ts';
import type { Principal, Privilege } from '../../../domain/privileges.ts';
import type { Tenant } from '../../../domain/tenant.ts';
import type { Dialect } from '../index.ts';
import { toProblem } from '../../errors.ts';
import { apiKeyOf } from '../../credentials.ts';
import { failure } from './mapping.ts';
import { userRoutes } from './user-routes.ts';
import { eventRoutes } from './event-routes.ts';

export const USERMOST_PREFIX = '/v1/accounts';

export interface UsermostContext {
  principal: Principal;
  tenant: Tenant;
}

declare module 'fastify' {
  interface FastifyRequest {
    usermost: UsermostContext | null;
  }
  interface FastifyContextConfig {
    /** The privilege a Usermost route needs of the key. */
    usermostPrivilege?: Privilege;
  }
}

export const contextOf = (req: FastifyRequest): UsermostContext => req.usermost!;

/** The x-request-id of a write, with what the write asks (a retry must ask the same). */
export function idempotentRequest(req: FastifyRequest): IdempotentRequest | undefined {
  const id = req.headers['x-request-id'];
  if (id === undefined) return undefined;
  return { id: String(id), scope: `${req.method} ${req.url.split('?')[0]}`, payload: req.body ?? null };
}

/** Every body is read as JSON, whatever its Content-Type says; anything else is a 400. */
function registerBodyParser(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    json(req, text, (err, value) => {
      if (err) return done(invalid('usermost.invalid_json', 'the request body is not valid JSON'));
      done(null, value);
    });
  });
}

/** The Usermost REST API (seed 000): /v1/accounts/{licenseCode}/…, answers in the response container. */
/** The Usermost error envelope (seed 004). */
export function usermostErrors(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const p = toProblem(err);
  if (p.kind === 'internal') req.log.error({ err }, 'unhandled error');
  if (p.retryAfter) reply.header('retry-after', String(p.retryAfter));
  // The seed knows one code for a bad body: an oversized or non-JSON one is a 400 too.
  const status = p.status === 413 || p.status === 415 ? 400 : p.status;
  const limit = req.routeOptions.bodyLimit;
  const message =
    p.status === 413 && limit ? `the request body is larger than the ${limit / (1024 * 1024)} MiB limit` : p.message;
  return reply.status(status).send(failure(message));
}

export const usermostDialect: Dialect = {
  errorHandler: usermostErrors,
  name: 'usermost',
  prefix: USERMOST_PREFIX,
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      app.decorateRequest('usermost', null);
      registerBodyParser(app);

      app.setErrorHandler(usermostErrors);
      app.setNotFoundHandler((req, reply) =>
        reply.status(404).send(failure(`invalid URL: no route for ${req.method} ${req.url.split('?')[0]}`)),
      );

      // Before the body is read: a request without access learns nothing about its body.
      app.addHook('onRequest', async (req) => {
        const privilege = req.is404 ? undefined : req.routeOptions.config.usermostPrivilege;
        if (!privilege) return;
        const principal = await services.auth.authenticate(apiKeyOf(req));
        const { licenseCode } = req.params as { licenseCode: string };
        req.usermost = { principal, tenant: await services.usermost.tenantFor(principal, licenseCode, privilege) };
      });

      await app.register(userRoutes(services));
      await app.register(eventRoutes(services));
    },
};
