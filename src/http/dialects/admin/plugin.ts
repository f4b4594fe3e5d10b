import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { errorEnvelope, noRouteMessage, type Dialect } from '../../dialect.ts';
import { apiKeyOf } from '../../credentials.ts';
import { principal } from './context.ts';
import { tenantRoutes } from './tenant-routes.ts';
import { managerRoutes } from './manager-routes.ts';
import { userRoutes } from './user-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { importRoutes } from './import-routes.ts';
import { exportRoutes } from './export-routes.ts';

/** The management API's error envelope: `{ error: { code, message } }`. */
export const adminErrors = errorEnvelope((p, _req, reply) =>
  reply.status(p.status).send({ error: { code: p.code, message: p.message } }),
);

/** Roster's own management API: key auth on every route. */
export const adminDialect: Dialect = {
  errorHandler: adminErrors,
  name: 'admin',
  prefix: '/admin/v1',
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      app.setErrorHandler(adminErrors);
      app.setNotFoundHandler((req, reply) =>
        reply.status(404).send({ error: { code: 'not_found', message: noRouteMessage(req) } }),
      );
      app.addHook('onRequest', async (req) => {
        principal.attach(req, await services.auth.authenticate(apiKeyOf(req)));
      });
      await app.register(tenantRoutes(services));
      await app.register(managerRoutes(services));
      await app.register(userRoutes(services));
      await app.register(auditRoutes(services));
      await app.register(importRoutes(services));
      await app.register(exportRoutes(services));
    },
};
