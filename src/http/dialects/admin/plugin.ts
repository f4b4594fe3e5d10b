import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../services/services.ts';
import { errorEnvelope, noRouteMessage, type Dialect } from '../../dialect.ts';
import { apiKeyOf } from '../../credentials.ts';
import { API_KEY } from '../../openapi/security.ts';
import { principal } from './context.ts';
import { tenantRoutes } from './tenant-routes.ts';
import { managerRoutes } from './manager-routes.ts';
import { userRoutes } from './user-routes.ts';
import { groupRoutes } from './group-routes.ts';
import { userAccessRoutes } from './user-access-routes.ts';
import { webhookRoutes } from './webhook-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { importRoutes } from './import-routes.ts';
import { exportRoutes } from './export-routes.ts';
import { backupRoutes } from './backup-routes.ts';
import { sessionRoutes } from './session-routes.ts';
import { dashboardRoutes } from './dashboard-routes.ts';
import { timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../../domain/errors.ts';
import { CSRF_HEADER, SESSION_COOKIE } from '../../../domain/console-session.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Needs no key or session (signing in, signing out). */
    public?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function csrfMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The management API's error envelope: `{ error: { code, message, field? } }`. */
export const adminErrors = errorEnvelope((p, _req, reply) =>
  reply.status(p.status).send({ error: { code: p.code, message: p.message, ...(p.field ? { field: p.field } : {}) } }),
);

/** Roster's own management API: key auth on every route. */
export const adminDialect: Dialect = {
  errorHandler: adminErrors,
  name: 'admin',
  security: [...API_KEY, { session: [] }],
  prefix: '/admin/v1',
  plugin:
    (services: Services): FastifyPluginAsync =>
    async (app) => {
      app.setErrorHandler(adminErrors);
      app.setNotFoundHandler((req, reply) =>
        reply.status(404).send({ error: { code: 'not_found', message: noRouteMessage(req) } }),
      );
      app.addHook('onRequest', async (req) => {
        if (req.routeOptions.config.public) return;
        const key = apiKeyOf(req);
        const session = req.cookies[SESSION_COOKIE];
        // A key wins over a cookie: a key header cannot be forged cross-site, a cookie can be sent.
        if (key || !session) {
          principal.attach(req, await services.auth.authenticate(key));
          return;
        }
        const s = await services.console.resolve(session);
        if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.headers[CSRF_HEADER], s.csrfToken))
          throw new DomainError(
            'forbidden',
            'auth.csrf',
            `a request that changes something needs the ${CSRF_HEADER} header of its console session`,
          );
        principal.attach(req, s.principal);
      });
      await app.register(tenantRoutes(services));
      await app.register(managerRoutes(services));
      await app.register(userRoutes(services));
      await app.register(groupRoutes(services));
      await app.register(userAccessRoutes(services));
      await app.register(auditRoutes(services));
      await app.register(importRoutes(services));
      await app.register(exportRoutes(services));
      await app.register(backupRoutes(services));
      await app.register(sessionRoutes(services));
      await app.register(dashboardRoutes(services));
      await app.register(webhookRoutes(services));
    },
};
