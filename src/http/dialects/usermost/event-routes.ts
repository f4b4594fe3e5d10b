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
  eventExample,
} from './schemas.ts';
import { eventInput, eventWire, ok } from './mapping.ts';
import { contextOf, idempotentRequest } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';

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
          ...docs({
            description:
              'Records one event of a user (eventName, an optional eventTime, default now, and params up to 64 KiB); an unknown userId creates the user first. Editor and up. A retry with the same x-request-id is not recorded twice. 400 for a bad eventTime or params that are not an object.',
            body: {
              userId: 'u-1001',
              eventName: 'report_exported',
              eventTime: '2026-11-28T14:00:00+0000',
              params: { format: 'pdf', pages: 12 },
            },
            responses: { 201: { description: 'The event as recorded', example: ok(eventExample) } },
          }),
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
          ...docs({
            description:
              'Records up to 500 events in one transaction: all of them or none (a 400 names the first bad event by index, events.3.eventName). Unknown userIds create their users. Editor and up; the body may be up to 8 MiB. A retry with the same x-request-id is not recorded twice.',
            body: {
              events: [
                { userId: 'u-1001', eventName: 'signed_in' },
                { userId: 'u-1002', eventName: 'report_exported', params: { format: 'csv' } },
              ],
            },
            responses: {
              201: {
                description: 'Every event as recorded, in the order sent',
                example: ok({
                  count: 2,
                  events: [
                    { ...eventExample, eventName: 'signed_in', params: {} },
                    { ...eventExample, id: 5002, userId: 'u-1002', params: { format: 'csv' } },
                  ],
                }),
              },
            },
          }),
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
          ...docs({
            description:
              "A user's events, newest first, a page at a time (page is 1-based; limit at most 1000), with the total. Viewer and up; 404 when there is no such userId.",
            responses: {
              200: {
                description: 'A page of events and the total',
                example: ok({ userId: 'u-1001', events: [eventExample], page: 1, limit: 50, total: 1 }),
              },
            },
          }),
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
