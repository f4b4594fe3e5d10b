import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import type { AuditEvent } from '../../../domain/audit.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';

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
        },
      },
      async (req) => {
        const page = await s.audit.list(principalOf(req), req.params.id, req.query);
        return { items: page.items.map(wire), nextCursor: page.nextCursor };
      },
    );
  };
