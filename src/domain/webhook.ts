import { invalid } from './errors.ts';

/**
 * A tenant's webhook subscription. `events` are audit action names (`user.create`), a whole
 * family (`user.*`) or everything (`*`). A subscription that failed for too long is switched off
 * (`active` false, `disabledReason` says why); setting `active` again resumes where it stopped.
 */
export interface WebhookSubscription {
  id: number;
  tenantId: number;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  disabledReason: string | null;
  /** When the oldest delivery still failing first failed; null while deliveries succeed. */
  failingSince: Date | null;
  /** The previous secret signs beside the new one until then (after a rotation). */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryState = 'pending' | 'sent';

/** One event to send to one subscription, with the log of its attempts. */
export interface WebhookDelivery {
  id: number;
  subscriptionId: number;
  eventId: number;
  eventType: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  log: DeliveryAttempt[];
}

export interface DeliveryAttempt {
  at: Date;
  /** The receiver's HTTP status; null when there was none (timeout, refused, connection error). */
  status: number | null;
  latencyMs: number;
  error: string | null;
  /** The first bytes of the receiver's answer. */
  response: string | null;
}

/** What a receiver gets: the audit event, with `before`/`after` of the changed fields (secrets redacted). */
export interface WebhookPayload {
  id: string;
  type: string;
  timestamp: string;
  tenant: number;
  actor: string;
  target: string;
  data: { before: Record<string, unknown>; after: Record<string, unknown> };
}

const EVENT_PATTERN = /^(\*|[a-z][a-z0-9_]*\.(\*|[a-z][a-z0-9_]*))$/;
export const MAX_EVENTS = 50;

/** Checks and de-duplicates the event names of a subscription (400 naming the bad one). */
export function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw invalid('webhook.invalid_events', 'events must list at least one event', 'events');
  for (const e of events)
    if (!EVENT_PATTERN.test(e))
      throw invalid(
        'webhook.invalid_events',
        `"${e}" is not an event name: use an audit action (user.create), a family (user.*) or *`,
        'events',
      );
  return [...new Set(events)];
}

/** Whether an audit action is one a subscription asked for (the outbox trigger applies the same rule in SQL). */
export const matchesEvent = (patterns: string[], action: string): boolean =>
  patterns.some((p) => p === '*' || p === action || (p.endsWith('.*') && action.startsWith(p.slice(0, -1))));

/** Checks a receiver URL's form (where it points is checked at delivery time, after DNS). */
export function checkUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid('webhook.invalid_url', 'url must be an absolute http:// or https:// URL', 'url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw invalid('webhook.invalid_url', 'url must be an absolute http:// or https:// URL', 'url');
  if (u.username || u.password)
    throw invalid('webhook.invalid_url', 'url must not carry credentials (user:password@)', 'url');
  return u.toString();
}
