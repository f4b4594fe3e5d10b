import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { docs } from '../../openapi/route-docs.ts';

const Count = Type.Integer({ minimum: 0 });
const Dashboard = named(
  'Dashboard',
  Type.Object({
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
  }),
);

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
          ...docs({
            description:
              "The console's dashboard in one read: how many users the tenant has (active, verified, created in the last 7 and 30 days) and, for each of the last 30 UTC days, its sign-ups and logins. Viewer and up, or root.",
            responses: {
              200: {
                description: 'The counts and the last 30 days, oldest first',
                example: {
                  users: { total: 1284, active: 1201, verified: 977, createdLast7Days: 36, createdLast30Days: 142 },
                  days: [
                    { day: '2026-11-30', signups: 5, logins: 311 },
                    { day: '2026-12-01', signups: 7, logins: 298 },
                  ],
                },
              },
            },
          }),
        },
      },
      async (req) => s.dashboard.get(principalOf(req), req.params.id),
    );
  };
