import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';

const Count = Type.Integer({ minimum: 0 });
const Dashboard = Type.Object({
  users: Type.Object({
    total: Count,
    active: Count,
    verified: Count,
    createdLast7Days: Count,
    createdLast30Days: Count,
  }),
  days: Type.Array(Type.Object({ day: Type.String({ format: 'date' }), signups: Count, logins: Count }), {
    description: 'the last 30 UTC days, oldest first',
  }),
});

export const dashboardRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tenants/:id/dashboard',
      {
        schema: {
          tags: ['management: users'],
          operationId: 'getDashboard',
          summary: 'User counts, and sign-ups and logins per day over the last 30 days (viewer)',
          params: IdParams,
          response: { 200: Dashboard, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (req) => s.dashboard.get(principalOf(req), req.params.id),
    );
  };
