import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import type { AuditEvent } from '../../../domain/audit.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: audit'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const FieldChange = Type.Object({ before: Type.Unknown(), after: Type.Unknown() });
const AuditEventWire = named(
  'AuditEvent',
  Type.Object({
    id: Type.Integer(),
    tenantId: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: 'root, manager:<id>, user:<id> (self-service) or system' }),
    action: Type.String({
      description: 'e.g. user.create, user.update, user.delete, manager.key_rotate, tenant.update',
    }),
    target: Type.String({ description: '<kind>:<id>, e.g. user:12' }),
    changes: Type.Record(Type.String(), FieldChange, {
      description: 'changed fields, before/after; secrets show as [redacted]',
    }),
  }),
);
const auditEventExample = {
  id: 311,
  tenantId: 2,
  at: '2026-11-28T14:02:31.000Z',
  actor: 'manager:5',
  action: 'user.update',
  target: 'user:12',
  changes: { lastName: { before: 'Lovelace', after: 'King' } },
};
const AuditList = named(
  'AuditEventList',
  Type.Object({
    items: Type.Array(AuditEventWire),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  }),
);
const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 32 })),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    target: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 200 })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'events at or after this instant' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'events before this instant' })),
  },
  { additionalProperties: false },
);

const wire = (e: AuditEvent) => ({ ...e, at: e.at.toISOString() });

export const auditRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tenants/:id/audit',
      {
        schema: {
          tags,
          operationId: 'listAuditEvents',
          summary: "A tenant's audit trail, newest first; filter by actor, target, action, time range (admin)",
          params: IdParams,
          querystring: AuditQuery,
          response: { 200: AuditList, ...errors },
          ...docs({
            description:
              'Who changed what in the tenant, newest first, a page at a time (cursor: the nextCursor of the page before). Narrow it with actor (root, manager:5, user:12, system), target (user:12) and action (user.update). Admin and up, or root. Secrets never appear: a password change shows as [redacted].',
            responses: {
              200: {
                description: 'A page of audit events, newest first',
                example: {
                  items: [
                    auditEventExample,
                    {
                      ...auditEventExample,
                      id: 310,
                      at: '2026-11-28T13:58:02.000Z',
                      action: 'user.create',
                      changes: {
                        username: { before: null, after: 'ada' },
                        password: { before: null, after: '[redacted]' },
                      },
                    },
                  ],
                  nextCursor: '310',
                },
              },
            },
          }),
        },
      },
      async (req) => {
        const page = await s.audit.list(principalOf(req), req.params.id, req.query);
        return { items: page.items.map(wire), nextCursor: page.nextCursor };
      },
    );
  };
