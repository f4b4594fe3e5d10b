import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { errorEnvelope, noRouteMessage, type Dialect } from '../../dialect.ts';
import { parseForm } from '../../form.ts';
import { API_KEY } from '../../openapi/security.ts';
import { tenant, TENANT_HEADER } from './context.ts';
import { accountRoutes } from './account-routes.ts';
import { keyRoutes } from './key-routes.ts';

const fail = (message: string) => ({ status: 0 as const, message });

/** The /rest/users error envelope: `{ status: 0, message }`. */
const restUsersErrors = errorEnvelope((p, req, reply) => {
  // Account routes sign in with HTTP Basic; sign-up and the key check take no password.
  if (p.status === 401 && req.routeOptions.url?.startsWith('/rest/users/:username')) {
    reply.header('www-authenticate', 'Basic realm="roster", charset="UTF-8"');
  }
  const message =
    p.status === 415
      ? 'unsupported content type: send application/json or application/x-www-form-urlencoded'
      : p.message;
  return reply.status(p.status).send(fail(message));
});

/**
 * The developer-portal API under /rest: self-service accounts (HTTP Basic), manager keys,
 * application keys with usage. Every answer, errors included, is in the API's envelope.
 */
export const restUsersDialect: Dialect = {
  errorHandler: restUsersErrors,
  name: 'rest-users',
  // The account routes; sign-up and the key check say what they take in their own schemas.
  security: [{ basic: [] }, ...API_KEY],
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
      app.setNotFoundHandler((req, reply) => reply.status(404).send(fail(noRouteMessage(req))));

      // Every request acts on one tenant: X-Roster-Tenant: <licenseCode>, or the default tenant.
      app.addHook('onRequest', async (req) => {
        const h = req.headers[TENANT_HEADER];
        tenant.attach(req, await services.portal.tenant(typeof h === 'string' ? h : undefined));
      });

      await app.register(accountRoutes(services));
      await app.register(keyRoutes(services));
    },
};
