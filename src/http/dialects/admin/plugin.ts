import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../services/services.ts';
import type { Principal } from '../../../domain/privileges.ts';
import type { Dialect } from '../index.ts';
import { toProblem } from '../../errors.ts';
import { apiKeyOf } from '../../credentials.ts';
import { tenantRoutes } from './tenant-routes.ts';
import { managerRoutes } from './manager-routes.ts';
import { userRoutes } from './user-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { importRoutes } from './import-routes.ts';
import { exportRoutes } from './export-routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const principalOf = (req: FastifyRequest): Principal => req.principal!;

/** Roster's own management API: `{"error":{"code","message"}}` errors, key auth on every route. */
/** The management API's error envelope: `{ error: { code, message } }`. */
export function adminErrors(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const p = toProblem(err);
  if (p.kind === 'internal') req.log.error({ err }, 'unhandled error');
  if (p.retryAfter) reply.header('retry-after', String(p.retryAfter));
  return reply.status(p.status).send({ error: { code: p.code, message: p.message } });
}

export const adminDialect: Dialect = {
  errorHandler: adminErrors,
  name: 'admin',
  prefix: '/admin/v1',
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      app.setErrorHandler(adminErrors);
      app.setNotFoundHandler((req, reply) =>
        reply
          .status(404)
          .send({ error: { code: 'not_found', message: `no route for ${req.method} ${req.url.split('?')[0]}` } }),
      );
      app.addHook('onRequest', async (req) => {
        req.principal = await services.auth.authenticate(apiKeyOf(req));
      });
      await app.register(tenantRoutes(services));
      await app.register(managerRoutes(services));
      await app.register(userRoutes(services));
      await app.register(auditRoutes(services));
      await app.register(importRoutes(services));
      await app.register(exportRoutes(services));
    },
};
