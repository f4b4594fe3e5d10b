import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../services/services.ts';
import type { Dialect } from '../index.ts';
import { toProblem } from '../../errors.ts';
import { parseForm } from './form.ts';
import { setTenant, TENANT_HEADER } from './context.ts';
import { accountRoutes } from './account-routes.ts';
import { keyRoutes } from './key-routes.ts';

const fail = (message: string) => ({ status: 0 as const, message });

/**
 * The developer-portal API of seed 002 under /rest: self-service accounts (HTTP Basic), manager
 * keys, application keys with usage. Every answer, errors included, is the seed's envelope.
 */
/** The /rest/users error envelope (seed 002). */
export function restUsersErrors(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const p = toProblem(err);
  if (p.kind === 'internal') req.log.error({ err }, 'unhandled error');
  if (p.retryAfter) reply.header('retry-after', String(p.retryAfter));
  // Account routes sign in with HTTP Basic; sign-up and the key check take no password.
  if (p.status === 401 && req.routeOptions.url?.startsWith('/rest/users/:username')) {
    reply.header('www-authenticate', 'Basic realm="roster", charset="UTF-8"');
  }
  const message =
    p.status === 415
      ? 'unsupported content type: send application/json or application/x-www-form-urlencoded'
      : p.message;
  return reply.status(p.status).send(fail(message));
}

export const restUsersDialect: Dialect = {
  errorHandler: restUsersErrors,
  name: 'rest-users',
  prefix: '/rest',
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      // JSON (inherited) and forms; nothing else is a body here (text/plain → 415, not a string body).
      app.removeContentTypeParser('text/plain');
      app.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_req, body, done) => {
          done(null, parseForm(body as string));
        },
      );

      app.setErrorHandler(restUsersErrors);
      app.setNotFoundHandler((req, reply) =>
        reply.status(404).send(fail(`no route for ${req.method} ${req.url.split('?')[0]}`)),
      );

      // Every request acts on one tenant: X-Roster-Tenant: <licenseCode>, or the default tenant.
      app.addHook('onRequest', async (req) => {
        const h = req.headers[TENANT_HEADER];
        setTenant(req, await services.portal.tenant(typeof h === 'string' ? h : undefined));
      });

      await app.register(accountRoutes(services));
      await app.register(keyRoutes(services));
    },
};
