import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { DELIVERIES_MAX_PAGE } from '../../../services/webhook-service.ts';
import { MAX_EVENTS, type WebhookDelivery, type WebhookSubscription } from '../../../domain/webhook.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';
import { named } from '../../openapi/components.ts';

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

const Subscription = named(
  'WebhookSubscription',
  Type.Object({
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
  }),
);
const WithSecret = named(
  'WebhookSubscriptionWithSecret',
  Type.Intersect([
    Subscription,
    Type.Object({
      secret: Type.String({ description: 'the signing secret (whsec_…, Standard Webhooks); shown only this once' }),
    }),
  ]),
);
const subscriptionExample = {
  id: 3,
  tenantId: 2,
  url: 'https://hooks.acme.test/roster',
  events: ['user.*', 'manager.key_rotate'],
  description: 'CRM sync',
  active: true,
  disabledReason: null,
  failingSince: null,
  previousSecretExpiresAt: null,
  createdAt: '2026-11-02T09:30:00.000Z',
  updatedAt: '2026-11-02T09:30:00.000Z',
};
const withSecretExample = { ...subscriptionExample, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
const CreateBody = named(
  'WebhookSubscriptionInput',
  Type.Object(
    {
      url: Url,
      events: Events,
      description: Type.Optional(Description),
      active: Type.Optional(Type.Boolean({ default: true })),
    },
    { additionalProperties: false },
  ),
);
const UpdateBody = named(
  'WebhookSubscriptionPatch',
  Type.Object(
    {
      url: Type.Optional(Url),
      events: Type.Optional(Events),
      description: Type.Optional(Description),
      active: Type.Optional(Type.Boolean({ description: 'true resumes a switched-off subscription where it stopped' })),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
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
const Delivery = named(
  'WebhookDelivery',
  Type.Object({
    id: Type.Integer(),
    eventId: Type.Integer({ description: 'the audit event delivered' }),
    eventType: Type.String(),
    state: Type.Union([Type.Literal('pending'), Type.Literal('sent')]),
    attempts: Type.Integer(),
    nextAttemptAt: NullableDateTime,
    createdAt: DateTime,
    deliveredAt: NullableDateTime,
    log: Type.Array(Attempt),
  }),
);
const deliveryExample = {
  id: 88,
  eventId: 311,
  eventType: 'user.update',
  state: 'sent' as const,
  attempts: 2,
  nextAttemptAt: null,
  createdAt: '2026-11-28T14:02:31.000Z',
  deliveredAt: '2026-11-28T14:02:37.000Z',
  log: [
    {
      at: '2026-11-28T14:02:31.000Z',
      status: 503,
      latencyMs: 212,
      error: null,
      response: 'Service Unavailable',
    },
    { at: '2026-11-28T14:02:37.000Z', status: 200, latencyMs: 48, error: null, response: 'ok' },
  ],
};
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
          ...docs({
            description:
              "Subscribes a URL to the tenant's audit events: each matching event is POSTed to it as JSON, signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature), and retried with backoff until the receiver answers 2xx. The signing secret is in this answer only. Admin and up, or root. 400 for a URL that is not http(s) or an event name that does not exist.",
            body: {
              url: 'https://hooks.acme.test/roster',
              events: ['user.*', 'manager.key_rotate'],
              description: 'CRM sync',
            },
            responses: {
              201: { description: 'The subscription and its signing secret (shown once)', example: withSecretExample },
            },
          }),
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
          ...docs({
            description: 'Every webhook subscription of the tenant, never their secrets. Admin and up, or root.',
            responses: { 200: { description: 'The subscriptions', example: { items: [subscriptionExample] } } },
          }),
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
          ...docs({
            description:
              'One subscription: where it delivers, which events, and whether Roster switched it off after failing too long (disabledReason, failingSince). Admin and up, or root; 404 for one of another tenant.',
            responses: { 200: { description: 'The subscription', example: subscriptionExample } },
          }),
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
          ...docs({
            description:
              'Changes the fields sent (at least one). active=true resumes a subscription Roster switched off, from where it stopped. Admin and up, or root.',
            body: { events: ['user.*'], active: true },
            responses: {
              200: {
                description: 'The subscription as it is now',
                example: { ...subscriptionExample, events: ['user.*'] },
              },
            },
          }),
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
          ...docs({
            description:
              'Deletes the subscription; its undelivered deliveries are dropped, nothing more is sent. Admin and up, or root.',
            responses: { 204: 'Deleted' },
          }),
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
          ...docs({
            description:
              'Issues a new signing secret, shown in this answer only. For 24 hours deliveries carry signatures by both secrets, so the receiver can switch without losing any. Admin and up, or root.',
            responses: {
              200: {
                description: 'The subscription and its new secret (shown once)',
                example: { ...withSecretExample, previousSecretExpiresAt: '2026-12-08T09:30:00.000Z' },
              },
            },
          }),
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
          ...docs({
            description:
              "The subscription's deliveries, newest first, a page at a time (cursor: the nextCursor of the page before), each with the log of its attempts: the receiver's status, latency, error and the start of its answer. Admin and up, or root.",
            responses: {
              200: { description: 'A page of deliveries', example: { items: [deliveryExample], nextCursor: null } },
            },
          }),
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
          ...docs({
            description:
              "Queues the delivery's event again, as a new delivery after what the subscription already has queued (the old one stays as it was). Admin and up, or root; 404 when the delivery is not the subscription's.",
            responses: { 202: { description: 'Queued: the id of the new delivery', example: { deliveryId: 97 } } },
          }),
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
