import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { errorEnvelope, jsonBodyReader, type Dialect } from '../../dialect.ts';
import { apiKeyOf } from '../../credentials.ts';
import { API_KEY } from '../../openapi/security.ts';
import { PREFIX, SCIM_CONTENT_TYPE } from './constants.ts';
import { scimContext, scimContextFor } from './context.ts';
import { scimError } from './errors.ts';
import { userResource } from './user-resource.ts';
import { groupResource } from './group-resource.ts';
import { resourceRoutes } from './resource-routes.ts';
import { discoveryRoutes } from './discovery-routes.ts';
import { bulkRoutes } from './bulk.ts';
import { rootSearchRoutes } from './root-search.ts';
import { canonicalUrl, recordEndpoint } from './endpoint-names.ts';

/** SCIM's error envelope (RFC 7644 §3.12). */
const scimErrors = errorEnvelope((p, _req, reply) => {
  if (p.status === 401) reply.header('www-authenticate', 'Bearer realm="roster-scim"');
  return reply.status(p.status).type(SCIM_CONTENT_TYPE).send(scimError(p));
});

/**
 * SCIM 2.0 (RFC 7643/7644) for identity providers such as Okta and Microsoft Entra ID: Users and
 * Groups of the key's tenant, application/scim+json both ways (application/json accepted too).
 */
export const scimDialect: Dialect = {
  errorHandler: scimErrors,
  name: 'scim',
  security: API_KEY,
  prefix: PREFIX,
  rewriteUrl: canonicalUrl,
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      // application/json is parsed by Fastify's default parser; SCIM's own type reads the same way.
      const read = jsonBodyReader(app, { empty: undefined });
      app.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, (req, body, done) =>
        read(req, body as string, false, done),
      );

      app.addHook('onRoute', (r) => recordEndpoint(r.url));
      app.setErrorHandler(scimErrors);
      app.setNotFoundHandler((req, reply) =>
        reply
          .status(404)
          .type(SCIM_CONTENT_TYPE)
          .send(
            scimError({
              status: 404,
              code: 'not_found',
              kind: 'not_found',
              message: `no SCIM endpoint ${req.method} ${req.url.split('?')[0]}`,
            }),
          ),
      );
      app.addHook('onRequest', async (req) => {
        scimContext.attach(req, scimContextFor(await services.auth.authenticate(apiKeyOf(req)), req));
      });
      app.addHook('onSend', (_req, reply, payload, done) => {
        const ct = reply.getHeader('content-type');
        if (typeof ct === 'string' && ct.startsWith('application/json'))
          reply.header('content-type', SCIM_CONTENT_TYPE);
        done(null, payload);
      });

      const resources = [userResource(services), groupResource(services)];
      for (const r of resources) await app.register(resourceRoutes(r));
      await app.register(discoveryRoutes);
      await app.register(bulkRoutes(resources));
      await app.register(rootSearchRoutes(resources));
    },
};
