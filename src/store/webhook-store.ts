import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, WebhookSubscriptionsTable } from './schema.ts';
import type { DbKind } from './database.ts';
import type { DeliveryAttempt, WebhookDelivery, WebhookSubscription } from '../domain/webhook.ts';
import type { AuditChanges } from '../domain/audit.ts';

/** A subscription row as the delivery side needs it: with its (stored) secrets. */
export interface SubscriptionSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: number | null;
}

export interface NewSubscription {
  tenantId: number;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  secret: string;
}

/** A delivery claimed by this process: what to send, where, signed with which secrets. */
export interface ClaimedDelivery extends SubscriptionSecrets {
  id: number;
  subscriptionId: number;
  tenantId: number;
  url: string;
  attempts: number;
  leaseUntil: number;
  failingSince: number | null;
  event: { id: number; at: number; actor: string; action: string; target: string; changes: AuditChanges };
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function toSubscription(r: Selectable<WebhookSubscriptionsTable>): WebhookSubscription {
  return {
    id: r.id,
    tenantId: r.tenantId,
    url: r.url,
    events: json<string[]>(r.events),
    description: r.description,
    active: Boolean(r.active),
    disabledReason: r.disabledReason,
    failingSince: r.failingSince === null ? null : new Date(r.failingSince),
    previousSecretExpiresAt:
      r.previousSecretUntil === null || r.previousSecretUntil < Date.now() ? null : new Date(r.previousSecretUntil),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
  };
}

export class WebhookStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
  ) {}

  private bool(v: boolean): number | boolean {
    return this.kind === 'postgres' ? v : v ? 1 : 0;
  }

  async insert(s: NewSubscription, now = Date.now()): Promise<WebhookSubscription> {
    const row = await this.db
      .insertInto('webhookSubscriptions')
      .values({
        tenantId: s.tenantId,
        url: s.url,
        events: JSON.stringify(s.events),
        description: s.description,
        active: this.bool(s.active),
        secret: s.secret,
        createdAt: now,
        updatedAt: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSubscription(row);
  }

  async list(tenantId: number): Promise<WebhookSubscription[]> {
    const rows = await this.db
      .selectFrom('webhookSubscriptions')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .orderBy('id')
      .execute();
    return rows.map(toSubscription);
  }

  async byId(tenantId: number, id: number): Promise<WebhookSubscription | null> {
    const r = await this.db
      .selectFrom('webhookSubscriptions')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toSubscription(r) : null;
  }

  async update(
    tenantId: number,
    id: number,
    p: Partial<Pick<WebhookSubscription, 'url' | 'events' | 'description' | 'active'>> & {
      disabledReason?: string | null;
      secret?: string;
      previousSecret?: string | null;
      previousSecretUntil?: number | null;
    },
    now = Date.now(),
  ): Promise<WebhookSubscription | null> {
    const { events, active, ...rest } = p;
    const r = await this.db
      .updateTable('webhookSubscriptions')
      .set({
        ...rest,
        ...(events ? { events: JSON.stringify(events) } : {}),
        // switched on again: failures start counting afresh
        ...(active !== undefined ? { active: this.bool(active), ...(active ? { failingSince: null } : {}) } : {}),
        updatedAt: now,
      })
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return r ? toSubscription(r) : null;
  }

  async delete(tenantId: number, id: number): Promise<boolean> {
    const r = await this.db
      .deleteFrom('webhookSubscriptions')
      .where('tenantId', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async secretsOf(tenantId: number, id: number): Promise<SubscriptionSecrets | null> {
    return (
      (await this.db
        .selectFrom('webhookSubscriptions')
        .select(['secret', 'previousSecret', 'previousSecretUntil'])
        .where('tenantId', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()) ?? null
    );
  }

  /**
   * Claims up to `limit` due deliveries, each the oldest pending one of its subscription (so a
   * subscription's events go out one at a time, in order), until `leaseUntil`. PostgreSQL: rows
   * another process is claiming at the same moment are skipped (FOR UPDATE SKIP LOCKED), and a
   * claimed row's lease keeps it from everyone else until it lapses (the claimer was killed).
   */
  async claimDue(now: number, leaseUntil: number, limit: number): Promise<ClaimedDelivery[]> {
    const pg = this.kind === 'postgres';
    const claimed = await sql<{ id: number }>`
      update webhook_deliveries set lease_until = ${leaseUntil}, attempts = attempts + 1
      where id in (
        select d.id from webhook_deliveries d
        join webhook_subscriptions s on s.id = d.subscription_id
        where d.state = 'pending' and d.next_attempt_at <= ${now}
          and (d.lease_until is null or d.lease_until < ${now})
          and s.active = ${sql.raw(pg ? 'true' : '1')}
          and d.id = (select min(d2.id) from webhook_deliveries d2
                      where d2.subscription_id = d.subscription_id and d2.state = 'pending')
        order by d.id
        limit ${limit}
        ${sql.raw(pg ? 'for update of d skip locked' : '')}
      )
      returning id`.execute(this.db);
    const ids = claimed.rows.map((r) => r.id);
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('webhookDeliveries as d')
      .innerJoin('webhookSubscriptions as s', 's.id', 'd.subscriptionId')
      .innerJoin('auditEvents as a', 'a.id', 'd.eventId')
      .select([
        'd.id',
        'd.subscriptionId',
        'd.attempts',
        'd.leaseUntil',
        's.tenantId',
        's.url',
        's.secret',
        's.previousSecret',
        's.previousSecretUntil',
        's.failingSince',
        'a.id as eventId',
        'a.at',
        'a.actor',
        'a.action',
        'a.target',
        'a.changes',
      ])
      .where('d.id', 'in', ids)
      .orderBy('d.id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      subscriptionId: r.subscriptionId,
      tenantId: r.tenantId,
      url: r.url,
      attempts: r.attempts,
      leaseUntil: r.leaseUntil!,
      secret: r.secret,
      previousSecret: r.previousSecret,
      previousSecretUntil: r.previousSecretUntil,
      failingSince: r.failingSince,
      event: {
        id: r.eventId,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        changes: r.changes === null ? {} : json<AuditChanges>(r.changes),
      },
    }));
  }

  /**
   * Records an attempt and its outcome, if the claim is still this process's (its lease unchanged).
   * Sent: the delivery is done and the subscription no longer failing. Failed: retried at
   * `retryAt`, and the subscription failing since its first failure. Answers whether it applied.
   */
  async finish(
    d: ClaimedDelivery,
    attempt: DeliveryAttempt,
    outcome: { sent: true } | { sent: false; retryAt: number },
  ): Promise<boolean> {
    const at = attempt.at.getTime();
    const r = await this.db
      .updateTable('webhookDeliveries')
      .set(
        outcome.sent
          ? { state: 'sent', deliveredAt: at, leaseUntil: null }
          : { nextAttemptAt: outcome.retryAt, leaseUntil: null },
      )
      .where('id', '=', d.id)
      .where('leaseUntil', '=', d.leaseUntil)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await this.db
      .insertInto('webhookAttempts')
      .values({
        deliveryId: d.id,
        at,
        status: attempt.status,
        latencyMs: Math.round(attempt.latencyMs),
        error: attempt.error,
        response: attempt.response,
      })
      .execute();
    await this.db
      .updateTable('webhookSubscriptions')
      .set(outcome.sent ? { failingSince: null } : { failingSince: sql<number>`coalesce(failing_since, ${at})` })
      .where('id', '=', d.subscriptionId)
      .execute();
    return true;
  }

  /** Switches a subscription off (too long failing); false when it was already off. */
  async disable(id: number, reason: string, now = Date.now()): Promise<boolean> {
    const r = await this.db
      .updateTable('webhookSubscriptions')
      .set({ active: this.bool(false), disabledReason: reason, updatedAt: now })
      .where('id', '=', id)
      .where('active', '=', this.bool(true))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** A subscription's deliveries, newest first, with their attempts; `beforeId` continues a page. */
  async deliveries(subscriptionId: number, limit: number, beforeId?: number): Promise<WebhookDelivery[]> {
    let q = this.db
      .selectFrom('webhookDeliveries as d')
      .innerJoin('auditEvents as a', 'a.id', 'd.eventId')
      .select([
        'd.id',
        'd.subscriptionId',
        'd.eventId',
        'a.action',
        'd.state',
        'd.attempts',
        'd.nextAttemptAt',
        'd.createdAt',
        'd.deliveredAt',
      ])
      .where('d.subscriptionId', '=', subscriptionId);
    if (beforeId !== undefined) q = q.where('d.id', '<', beforeId);
    const rows = await q.orderBy('d.id', 'desc').limit(limit).execute();
    if (rows.length === 0) return [];
    const attempts = await this.db
      .selectFrom('webhookAttempts')
      .selectAll()
      .where(
        'deliveryId',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      subscriptionId: r.subscriptionId,
      eventId: r.eventId,
      eventType: r.action,
      state: r.state as WebhookDelivery['state'],
      attempts: r.attempts,
      nextAttemptAt: r.state === 'pending' ? new Date(r.nextAttemptAt) : null,
      createdAt: new Date(r.createdAt),
      deliveredAt: r.deliveredAt === null ? null : new Date(r.deliveredAt),
      log: attempts
        .filter((a) => a.deliveryId === r.id)
        .map((a) => ({
          at: new Date(a.at),
          status: a.status,
          latencyMs: a.latencyMs,
          error: a.error,
          response: a.response,
        })),
    }));
  }

  /** Queues the event of a delivery again for its subscription (after the ones already queued). */
  async redeliver(subscriptionId: number, deliveryId: number, now = Date.now()): Promise<number | null> {
    const d = await this.db
      .selectFrom('webhookDeliveries')
      .select('eventId')
      .where('id', '=', deliveryId)
      .where('subscriptionId', '=', subscriptionId)
      .executeTakeFirst();
    if (!d) return null;
    const r = await this.db
      .insertInto('webhookDeliveries')
      .values({ subscriptionId, eventId: d.eventId, state: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    return r.id;
  }

  /** Deliveries waiting to be sent (all processes) and the creation time of the oldest, for /metrics. */
  async backlog(): Promise<{ pending: number; oldest: number | null }> {
    const r = await this.db
      .selectFrom('webhookDeliveries')
      .select((eb) => [eb.fn.countAll<number>().as('pending'), eb.fn.min('createdAt').as('oldest')])
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return { pending: Number(r.pending), oldest: r.oldest === null ? null : Number(r.oldest) };
  }
}
