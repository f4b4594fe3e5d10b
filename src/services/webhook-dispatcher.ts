import type { Store } from '../store/store.ts';
import type { ClaimedDelivery } from '../store/webhook-store.ts';
import type { WebhookConfig } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { WebhookPayload } from '../domain/webhook.ts';
import type { AuditChanges } from '../domain/audit.ts';
import { recordAudit } from './audit-service.ts';
import { sendWebhook, signatureHeader } from './webhook-sender.ts';
import type { SecretBox } from './secret-box.ts';

/** Deliveries claimed at once by one process (each to a different subscription). */
const BATCH = 8;
/** A claim outlives the attempt's timeout by this much before another process may take it over. */
const LEASE_MARGIN_MS = 5000;

/** The body a receiver gets for an audit event (its changes already redacted as in the trail). */
export function payloadOf(tenantId: number, e: ClaimedDelivery['event']): WebhookPayload {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [field, c] of Object.entries(e.changes as AuditChanges)) {
    before[field] = c.before;
    after[field] = c.after;
  }
  return {
    id: `evt_${e.id}`,
    type: e.action,
    timestamp: new Date(e.at).toISOString(),
    tenant: tenantId,
    actor: e.actor,
    target: e.target,
    data: { before, after },
  };
}

/**
 * Sends the outbox's deliveries from this process: due ones are claimed (one per subscription at
 * a time, so each subscription sees its events in order), signed and POSTed; a failure is retried
 * on the configured schedule with jitter, and a subscription failing longer than disableAfterMs
 * is switched off (audited). At-least-once: a process killed mid-delivery leaves a claim that
 * lapses, and the delivery is sent again by whichever process claims it next.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly config: WebhookConfig,
    private readonly secrets: SecretBox,
    private readonly metrics: Metrics,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming; waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(
          (claimed) => this.schedule(claimed ? 0 : this.config.pollMs),
          () => this.schedule(this.config.pollMs), // database unreachable: try again later
        )
        .finally(() => (this.running = null));
    }, ms);
    this.timer.unref();
  }

  /** One round: claims due deliveries and sends them; answers whether there were any. */
  async tick(): Promise<boolean> {
    const now = Date.now();
    const claimed = await this.store.writeOne((s) =>
      s.webhooks.claimDue(now, now + this.config.timeoutMs + LEASE_MARGIN_MS, BATCH),
    );
    await Promise.all(claimed.map((d) => this.deliver(d)));
    return claimed.length > 0;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const payload = payloadOf(d.tenantId, d.event);
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const keys = [this.secrets.open(d.secret)];
    if (d.previousSecret && d.previousSecretUntil !== null && d.previousSecretUntil > Date.now())
      keys.push(this.secrets.open(d.previousSecret));
    const result = await sendWebhook(
      d.url,
      body,
      {
        'webhook-id': payload.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(keys, payload.id, timestamp, body),
        'user-agent': 'Roster-Webhooks/1',
      },
      { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivate },
    );
    const sent = result.error === null;
    this.metrics.webhookDeliveries.inc({ outcome: sent ? 'sent' : 'failed' });
    this.metrics.webhookDuration.observe(result.latencyMs / 1000);
    const at = new Date();
    const attempt = { at, ...result };
    await this.store.transaction(async (tx) => {
      const retryAt = at.getTime() + this.delayAfter(d.attempts);
      const applied = await tx.webhooks.finish(d, attempt, sent ? { sent: true } : { sent: false, retryAt });
      if (!applied || sent) return;
      const failingSince = d.failingSince ?? at.getTime();
      if (at.getTime() - failingSince < this.config.disableAfterMs) return;
      const reason = `deliveries failed for ${Math.round((at.getTime() - failingSince) / 3_600_000)} h (last: ${result.error})`;
      if (await tx.webhooks.disable(d.subscriptionId, reason))
        await recordAudit(tx, {
          tenantId: d.tenantId,
          actor: 'system',
          action: 'webhook.disable',
          target: `webhook:${d.subscriptionId}`,
          changes: { active: { before: true, after: false }, disabledReason: { before: null, after: reason } },
        });
    });
  }

  /** The wait before the next attempt: the schedule's step for this attempt (the last repeats), ±20 % jitter. */
  private delayAfter(attempts: number): number {
    const s = this.config.retryScheduleMs;
    const base = s[Math.min(attempts - 1, s.length - 1)];
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}
