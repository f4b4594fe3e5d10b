import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import {
  Container,
  errors,
  Event,
  EventBatch,
  EventList,
  EventWrite,
  LicenseParams,
  PageQuery,
  UserParams,
} from './schemas.ts';
import { eventInput, eventWire, ok } from './mapping.ts';
import { contextOf, idempotentRequest } from './context.ts';

const tags = ['usermost: events'];
const headers = Type.Object({
  'x-request-id': Type.Optional(
    Type.String({
      description: 'a retry with the same id (per license, 24 h) is not recorded twice and gets the same answer',
    }),
  ),
});
/** 500 events with modest params; each params object alone may be up to 64 KiB. */
const BATCH_BODY_LIMIT = 8 * 1024 * 1024;

export const eventRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/:licenseCode/events',
      {
        config: { usermostPrivilege: 'users:write' },
        schema: {
          tags,
          operationId: 'usermostTrackEvent',
          summary: "Record a user's event; an unknown userId creates the user (editor)",
          params: LicenseParams,
          headers,
          body: EventWrite,
          response: { 201: Container(Event), ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenant } = contextOf(req);
        const input = eventInput(req.body);
        const a = await s.usermost.write(
          tenant.id,
          idempotentRequest(req),
          (ops) => ops.track(principal, tenant.id, [input]),
          ([r]) => ({
            status: 201,
            body: ok(eventWire(r.event, r.user.externalId!)),
          }),
        );
        // The answer is stored (and replayed) as it was first rendered.
        return reply.status(a.status).send(a.body as never);
      },
    );

    app.post(
      '/:licenseCode/eventsBatch',
      {
        config: { usermostPrivilege: 'users:write' },
        bodyLimit: BATCH_BODY_LIMIT,
        schema: {
          tags,
          operationId: 'usermostTrackEvents',
          summary: 'Record up to 500 events at once: all of them or none (editor)',
          params: LicenseParams,
          headers,
          body: EventBatch,
          response: { 201: Container(Type.Object({ count: Type.Integer(), events: Type.Array(Event) })), ...errors },
        },
      },
      async (req, reply) => {
        const { principal, tenant } = contextOf(req);
        const inputs = req.body.events.map((e, i) => eventInput(e, `events.${i}`));
        const a = await s.usermost.write(
          tenant.id,
          idempotentRequest(req),
          (ops) => ops.track(principal, tenant.id, inputs),
          (rs) => ({
            status: 201,
            body: ok({ count: rs.length, events: rs.map((r) => eventWire(r.event, r.user.externalId!)) }),
          }),
        );
        // The answer is stored (and replayed) as it was first rendered.
        return reply.status(a.status).send(a.body as never);
      },
    );

    app.get(
      '/:licenseCode/users/:userId/events',
      {
        config: { usermostPrivilege: 'users:read' },
        schema: {
          tags,
          operationId: 'usermostListEvents',
          summary: "A user's events, newest first, by page (viewer)",
          params: UserParams,
          querystring: PageQuery,
          response: { 200: Container(EventList), ...errors },
        },
      },
      async (req) => {
        const { principal, tenant } = contextOf(req);
        const { limit, page } = req.query;
        const r = await s.usermost.listEvents(principal, tenant.id, req.params.userId, { limit, page });
        return ok({
          userId: r.user.externalId!,
          events: r.items.map((e) => eventWire(e, r.user.externalId!)),
          page,
          limit,
          total: r.total,
        });
      },
    );
  };
