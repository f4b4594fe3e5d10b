import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { invalid } from '../../../domain/errors.ts';
import type { Privilege } from '../../../domain/privileges.ts';
import { errorEnvelope, jsonBodyReader, noRouteMessage, type Dialect } from '../../dialect.ts';
import { apiKeyOf } from '../../credentials.ts';
import { API_KEY } from '../../openapi/security.ts';
import { USERMOST_PREFIX, usermostContext } from './context.ts';
import { failure } from './mapping.ts';
import { userRoutes } from './user-routes.ts';
import { eventRoutes } from './event-routes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The privilege a Usermost route needs of the key. */
    usermostPrivilege?: Privilege;
  }
}

/** Every body is read as JSON, whatever its Content-Type says; anything else is a 400. */
function registerBodyParser(app: FastifyInstance): void {
  const parse = jsonBodyReader(app, {
    empty: undefined,
    onBadJson: () => invalid('usermost.invalid_json', 'the request body is not valid JSON'),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => parse(req, body as string, false, done));
}

/** The Usermost error envelope: the response container with status "error". */
const usermostErrors = errorEnvelope((p, req, reply) => {
  // The API knows one code for a bad body: an oversized or non-JSON one is a 400 too.
  const status = p.status === 413 || p.status === 415 ? 400 : p.status;
  const limit = req.routeOptions.bodyLimit;
  const message =
    p.status === 413 && limit ? `the request body is larger than the ${limit / (1024 * 1024)} MiB limit` : p.message;
  return reply.status(status).send(failure(message));
});

/** The Usermost REST API: /v1/accounts/{licenseCode}/…, answers in the response container. */
export const usermostDialect: Dialect = {
  errorHandler: usermostErrors,
  name: 'usermost',
  security: API_KEY,
  prefix: USERMOST_PREFIX,
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      registerBodyParser(app);

      app.setErrorHandler(usermostErrors);
      app.setNotFoundHandler((req, reply) => reply.status(404).send(failure(`invalid URL: ${noRouteMessage(req)}`)));

      // Before the body is read: a request without access learns nothing about its body.
      app.addHook('onRequest', async (req) => {
        const privilege = req.is404 ? undefined : req.routeOptions.config.usermostPrivilege;
        if (!privilege) return;
        const principal = await services.auth.authenticate(apiKeyOf(req));
        const { licenseCode } = req.params as { licenseCode: string };
        usermostContext.attach(req, {
          principal,
          tenant: await services.usermost.tenantFor(principal, licenseCode, privilege),
        });
      });

      await app.register(userRoutes(services));
      await app.register(eventRoutes(services));
    },
};
