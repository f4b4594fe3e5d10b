import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { DELIVERIES_MAX_PAGE } from '../../../services/webhook-service.ts';
import { MAX_EVENTS, type WebhookDelivery, type WebhookSubscription } from '../../../domain/webhook.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';

const tags = ['management: webhooks'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const DateTime = Type.String({ format: 'date-time' });
const NullableDateTime = Type.Union([DateTime, Type.Null()]);

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'http:// or https:// URL; private, loopback and metadata addresses are refused at delivery time',
});
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: MAX_EVENTS,
  description: 'audit action names (user.create, manager.key_rotate, …), a family (user.*, group.*) or * for all',
});
const Description = Type.String({ maxLength: 500 });

const Subscription = Type.Object({
  id: Type.Integer(),
  tenantId: Type.Integer(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Type.String(),
  active: Type.Boolean({ description: 'false: switched off by hand, or by Roster after failing too long' }),
  disabledReason: Type.Union([Type.String(), Type.Null()], { description: 'why Roster switched it off' }),
  failingSince: Type.Union([DateTime, Type.Null()], { description: 'first failure since the last success' }),
  previousSecretExpiresAt: Type.Union([DateTime, Type.Null()], {
    description: 'after a rotation: the old secret signs beside the new one until then',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
});
const WithSecret = Type.Intersect([
  Subscription,
  Type.Object({
    secret: Type.String({ description: 'the signing secret (whsec_…, Standard Webhooks); shown only this once' }),
  }),
]);
const CreateBody = Type.Object(
  {
    url: Url,
    events: Events,
    description: Type.Optional(Description),
    active: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(Description),
    active: Type.Optional(Type.Boolean({ description: 'true resumes a switched-off subscription where it stopped' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
const WebhookParams = Type.Object({ id: Id, webhookId: Id });
const DeliveryParams = Type.Object({ id: Id, webhookId: Id, deliveryId: Id });
const Attempt = Type.Object({
  at: DateTime,
  status: Type.Union([Type.Integer(), Type.Null()], { description: "the receiver's HTTP status; null: none" }),
  latencyMs: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  response: Type.Union([Type.String(), Type.Null()], {
    description: "the first 512 characters of the receiver's answer",
  }),
});
const Delivery = Type.Object({
  id: Type.Integer(),
  eventId: Type.Integer({ description: 'the audit event delivered' }),
  eventType: Type.String(),
  state: Type.Union([Type.Literal('pending'), Type.Literal('sent')]),
  attempts: Type.Integer(),
  nextAttemptAt: NullableDateTime,
  createdAt: DateTime,
  deliveredAt: NullableDateTime,
  log: Type.Array(Attempt),
});
const DeliveryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: DELIVERIES_MAX_PAGE, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
);

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const wire = (s: WebhookSubscription) => ({
  id: s.id,
  tenantId: s.tenantId,
  url: s.url,
  events: s.events,
  description: s.description,
  active: s.active,
  disabledReason: s.disabledReason,
  failingSince: iso(s.failingSince),
  previousSecretExpiresAt: iso(s.previousSecretExpiresAt),
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});
const deliveryWire = (d: WebhookDelivery) => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  state: d.state,
  attempts: d.attempts,
  nextAttemptAt: iso(d.nextAttemptAt),
  createdAt: d.createdAt.toISOString(),
  deliveredAt: iso(d.deliveredAt),
  log: d.log.map((a) => ({ ...a, at: a.at.toISOString(), latencyMs: Math.round(a.latencyMs) })),
});

export const webhookRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/tenants/:id/webhooks',
      {
        schema: {
          tags,
          operationId: 'createWebhook',
          summary: 'Subscribe a URL to audit events; answers the signing secret once (admin)',
          params: IdParams,
          body: CreateBody,
          response: { 201: WithSecret, ...errors },
        },
      },
      async (req, reply) => {
        const { subscription, secret } = await s.webhooks.create(principalOf(req), req.params.id, req.body);
        return reply.status(201).send({ ...wire(subscription), secret });
      },
    );
    app.get(
      '/tenants/:id/webhooks',
      {
        schema: {
          tags,
          operationId: 'listWebhooks',
          summary: "A tenant's webhook subscriptions (admin)",
          params: IdParams,
          response: { 200: Type.Object({ items: Type.Array(Subscription) }), ...errors },
        },
      },
      async (req) => ({ items: (await s.webhooks.list(principalOf(req), req.params.id)).map(wire) }),
    );
    app.get(
      '/tenants/:id/webhooks/:webhookId',
      {
        schema: {
          tags,
          operationId: 'getWebhook',
          summary: 'One webhook subscription (admin)',
          params: WebhookParams,
          response: { 200: Subscription, ...errors },
        },
      },
      async (req) => wire(await s.webhooks.get(principalOf(req), req.params.id, req.params.webhookId)),
    );
    app.patch(
      '/tenants/:id/webhooks/:webhookId',
      {
        schema: {
          tags,
          operationId: 'updateWebhook',
          summary: 'Change a subscription: url, events, description, active (admin)',
          params: WebhookParams,
          body: UpdateBody,
          response: { 200: Subscription, ...errors },
        },
      },
      async (req) => wire(await s.webhooks.update(principalOf(req), req.params.id, req.params.webhookId, req.body)),
    );
    app.delete(
      '/tenants/:id/webhooks/:webhookId',
      {
        schema: {
          tags,
          operationId: 'deleteWebhook',
          summary: 'Delete a subscription and its undelivered deliveries (admin)',
          params: WebhookParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await s.webhooks.delete(principalOf(req), req.params.id, req.params.webhookId);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/tenants/:id/webhooks/:webhookId/rotate-secret',
      {
        schema: {
          tags,
          operationId: 'rotateWebhookSecret',
          summary: 'A new signing secret, shown once; the old one keeps signing beside it for 24 h (admin)',
          params: WebhookParams,
          response: { 200: WithSecret, ...errors },
        },
      },
      async (req) => {
        const { subscription, secret } = await s.webhooks.rotateSecret(
          principalOf(req),
          req.params.id,
          req.params.webhookId,
        );
        return { ...wire(subscription), secret };
      },
    );
    app.get(
      '/tenants/:id/webhooks/:webhookId/deliveries',
      {
        schema: {
          tags,
          operationId: 'listWebhookDeliveries',
          summary: "A subscription's deliveries, newest first, each with its attempts (admin)",
          params: WebhookParams,
          querystring: DeliveryQuery,
          response: {
            200: Type.Object({ items: Type.Array(Delivery), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const page = await s.webhooks.deliveries(principalOf(req), req.params.id, req.params.webhookId, req.query);
        return { items: page.items.map(deliveryWire), nextCursor: page.nextCursor };
      },
    );
    app.post(
      '/tenants/:id/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
      {
        schema: {
          tags,
          operationId: 'redeliverWebhookDelivery',
          summary: "Send a delivery's event again, after what the subscription has queued (admin)",
          params: DeliveryParams,
          response: { 202: Type.Object({ deliveryId: Type.Integer({ description: 'the new delivery' }) }), ...errors },
        },
      },
      async (req, reply) => {
        const deliveryId = await s.webhooks.redeliver(
          principalOf(req),
          req.params.id,
          req.params.webhookId,
          req.params.deliveryId,
        );
        return reply.status(202).send({ deliveryId });
      },
    );
  };
