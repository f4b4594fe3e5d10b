import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { invalid, notFound } from '../domain/errors.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import { diffFields } from '../domain/audit.ts';
import type { Principal } from '../domain/privileges.ts';
import { checkEvents, checkUrl, type WebhookDelivery, type WebhookSubscription } from '../domain/webhook.ts';
import { authorize } from './access.ts';
import { actorName, recordAudit } from './audit-service.ts';
import type { SecretBox } from './secret-box.ts';

/** After a rotation the old secret keeps signing beside the new one this long. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
export const DELIVERIES_MAX_PAGE = 100;

export interface SubscriptionInput {
  url: string;
  events: string[];
  description?: string;
  active?: boolean;
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const AUDITED = ['url', 'events', 'description', 'active'] as const;

/** Webhook subscriptions of a tenant (admin role): the secret is shown once, at creation or rotation. */
export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
  ) {}

  private async tenantOf(p: Principal, tenantId: number): Promise<void> {
    authorize(p, tenantId, 'webhooks:manage');
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
  }

  private async subscription(tenantId: number, id: number, s: Store = this.store): Promise<WebhookSubscription> {
    const sub = await s.webhooks.byId(tenantId, id);
    if (!sub) throw notFound('webhook.not_found', `webhook ${id} not found`);
    return sub;
  }

  async create(
    p: Principal,
    tenantId: number,
    input: SubscriptionInput,
  ): Promise<{ subscription: WebhookSubscription; secret: string }> {
    await this.tenantOf(p, tenantId);
    const url = checkUrl(input.url);
    const events = checkEvents(input.events);
    const secret = newSecret();
    const subscription = await this.store.transaction(async (tx) => {
      const sub = await tx.webhooks.insert({
        tenantId,
        url,
        events,
        description: input.description ?? '',
        active: input.active ?? true,
        secret: this.secrets.seal(secret),
      });
      await recordAudit(tx, {
        tenantId,
        actor: actorName(p),
        action: 'webhook.create',
        target: `webhook:${sub.id}`,
        changes: diffFields(null, sub, AUDITED),
      });
      return sub;
    });
    return { subscription, secret };
  }

  async list(p: Principal, tenantId: number): Promise<WebhookSubscription[]> {
    await this.tenantOf(p, tenantId);
    return this.store.webhooks.list(tenantId);
  }

  async get(p: Principal, tenantId: number, id: number): Promise<WebhookSubscription> {
    await this.tenantOf(p, tenantId);
    return this.subscription(tenantId, id);
  }

  async update(
    p: Principal,
    tenantId: number,
    id: number,
    patch: Partial<SubscriptionInput>,
  ): Promise<WebhookSubscription> {
    await this.tenantOf(p, tenantId);
    const changes = {
      ...(patch.url !== undefined ? { url: checkUrl(patch.url) } : {}),
      ...(patch.events !== undefined ? { events: checkEvents(patch.events) } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      // switched on again by hand: the reason it was switched off no longer holds
      ...(patch.active !== undefined
        ? { active: patch.active, ...(patch.active ? { disabledReason: null } : {}) }
        : {}),
    };
    return this.store.transaction(async (tx) => {
      const before = await this.subscription(tenantId, id, tx);
      const after = (await tx.webhooks.update(tenantId, id, changes))!;
      const diff = diffFields(before, after, AUDITED);
      if (Object.keys(diff).length > 0)
        await recordAudit(tx, {
          tenantId,
          actor: actorName(p),
          action: 'webhook.update',
          target: `webhook:${id}`,
          changes: diff,
        });
      return after;
    });
  }

  async delete(p: Principal, tenantId: number, id: number): Promise<void> {
    await this.tenantOf(p, tenantId);
    await this.store.transaction(async (tx) => {
      const before = await this.subscription(tenantId, id, tx);
      await tx.webhooks.delete(tenantId, id);
      await recordAudit(tx, {
        tenantId,
        actor: actorName(p),
        action: 'webhook.delete',
        target: `webhook:${id}`,
        changes: diffFields(before, null, AUDITED),
      });
    });
  }

  /** A new secret, shown once; the old one keeps signing beside it for ROTATION_OVERLAP_MS. */
  async rotateSecret(
    p: Principal,
    tenantId: number,
    id: number,
  ): Promise<{ subscription: WebhookSubscription; secret: string }> {
    await this.tenantOf(p, tenantId);
    const secret = newSecret();
    const subscription = await this.store.transaction(async (tx) => {
      const old = await tx.webhooks.secretsOf(tenantId, id);
      if (!old) throw notFound('webhook.not_found', `webhook ${id} not found`);
      const sub = (await tx.webhooks.update(tenantId, id, {
        secret: this.secrets.seal(secret),
        previousSecret: old.secret,
        previousSecretUntil: Date.now() + ROTATION_OVERLAP_MS,
      }))!;
      await recordAudit(tx, {
        tenantId,
        actor: actorName(p),
        action: 'webhook.rotate_secret',
        target: `webhook:${id}`,
        changes: { secret: { before: 'set', after: 'set' } },
      });
      return sub;
    });
    return { subscription, secret };
  }

  async deliveries(
    p: Principal,
    tenantId: number,
    id: number,
    q: { limit: number; cursor?: string },
  ): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
    await this.tenantOf(p, tenantId);
    await this.subscription(tenantId, id);
    let beforeId: number | undefined;
    if (q.cursor !== undefined) {
      if (!/^[1-9]\d{0,15}$/.test(q.cursor))
        throw invalid('query.invalid_cursor', 'cursor is not one this API gave out', 'cursor');
      beforeId = Number(q.cursor);
    }
    const items = await this.store.webhooks.deliveries(id, q.limit + 1, beforeId);
    const more = items.length > q.limit;
    const page = more ? items.slice(0, q.limit) : items;
    return { items: page, nextCursor: more ? String(page[page.length - 1].id) : null };
  }

  /** Queues a delivery's event once more (after what the subscription has queued); answers the new delivery's id. */
  async redeliver(p: Principal, tenantId: number, id: number, deliveryId: number): Promise<number> {
    await this.tenantOf(p, tenantId);
    await this.subscription(tenantId, id);
    const newId = await this.store.webhooks.redeliver(id, deliveryId);
    if (newId === null) throw notFound('webhook.delivery_not_found', `delivery ${deliveryId} not found`);
    return newId;
  }
}
