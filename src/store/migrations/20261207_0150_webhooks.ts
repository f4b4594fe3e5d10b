import { sql } from 'kysely';
import { idType, jsonType, refType, timeType, type RosterMigration } from './migration.ts';

/**
 * Webhooks: subscriptions per tenant, the outbox of deliveries and the log of their attempts.
 *
 * The outbox is filled by a trigger on audit_events: every audit event is inserted in the
 * transaction of its change, by whichever path writes it (a service, PostgreSQL's one-statement
 * create, an import's bulk insert), so the delivery rows commit or roll back with the change and
 * no code path can forget them. A subscription matches an action by its name, its family
 * (`user.*`) or `*` (the same rule as matchesEvent in domain/webhook.ts).
 */
export const webhooks: RosterMigration = {
  async up(db, kind) {
    const t = timeType(kind);
    const ref = refType(kind);
    const id = idType(kind);
    const bool = kind === 'postgres' ? 'boolean' : 'integer';
    await db.schema
      .createTable('webhook_subscriptions')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('tenant_id', ref, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', jsonType(kind), (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('active', bool, (c) => c.notNull())
      .addColumn('disabled_reason', 'text')
      .addColumn('failing_since', t)
      // the signing secret (encrypted when ROSTER_SECRET_KEY is set), and the one it replaced
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('previous_secret', 'text')
      .addColumn('previous_secret_until', t)
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('updated_at', t, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_subscriptions_tenant_idx')
      .on('webhook_subscriptions')
      .column('tenant_id')
      .execute();
    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('subscription_id', ref, (c) => c.notNull().references('webhook_subscriptions.id').onDelete('cascade'))
      .addColumn('event_id', ref, (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', t, (c) => c.notNull())
      // a process sending it holds it until then (a killed process's claim lapses)
      .addColumn('lease_until', t)
      .addColumn('created_at', t, (c) => c.notNull())
      .addColumn('delivered_at', t)
      .execute();
    // The head of each subscription's queue, and the due heads across subscriptions.
    await db.schema
      .createIndex('webhook_deliveries_queue_idx')
      .on('webhook_deliveries')
      .columns(['subscription_id', 'state', 'id'])
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_due_idx')
      .on('webhook_deliveries')
      .columns(['state', 'next_attempt_at'])
      .execute();
    await db.schema
      .createTable('webhook_attempts')
      .addColumn('id', id, (c) => (kind === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
      .addColumn('delivery_id', ref, (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
      .addColumn('at', t, (c) => c.notNull())
      .addColumn('status', 'integer')
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('error', 'text')
      .addColumn('response', 'text')
      .execute();
    await db.schema
      .createIndex('webhook_attempts_delivery_idx')
      .on('webhook_attempts')
      .columns(['delivery_id', 'id'])
      .execute();

    if (kind === 'sqlite') {
      await sql`
        create trigger audit_events_webhook_outbox after insert on audit_events
        begin
          insert into webhook_deliveries (subscription_id, event_id, state, attempts, next_attempt_at, created_at)
          select s.id, new.id, 'pending', 0, new.at, new.at from webhook_subscriptions s
          where s.tenant_id = new.tenant_id and s.active = 1 and exists (
            select 1 from json_each(s.events) e
            where e.value = '*' or e.value = new.action
              or (substr(e.value, -2) = '.*' and substr(new.action, 1, length(e.value) - 1) = substr(e.value, 1, length(e.value) - 1)));
        end`.execute(db);
    } else {
      await sql`
        create function webhook_outbox() returns trigger language plpgsql as $$
        begin
          insert into webhook_deliveries (subscription_id, event_id, state, attempts, next_attempt_at, created_at)
          select s.id, new.id, 'pending', 0, new.at, new.at from webhook_subscriptions s
          where s.tenant_id = new.tenant_id and s.active and exists (
            select 1 from jsonb_array_elements_text(s.events) e(v)
            where e.v = '*' or e.v = new.action
              or (right(e.v, 2) = '.*' and left(new.action, length(e.v) - 1) = left(e.v, length(e.v) - 1)));
          return null;
        end $$`.execute(db);
      await sql`create trigger audit_events_webhook_outbox after insert on audit_events
        for each row execute function webhook_outbox()`.execute(db);
    }
  },
  async down(db, kind) {
    if (kind === 'postgres') {
      await sql`drop trigger if exists audit_events_webhook_outbox on audit_events`.execute(db);
      await sql`drop function if exists webhook_outbox()`.execute(db);
    } else {
      await sql`drop trigger if exists audit_events_webhook_outbox`.execute(db);
    }
    await db.schema.dropTable('webhook_attempts').execute();
    await db.schema.dropTable('webhook_deliveries').execute();
    await db.schema.dropTable('webhook_subscriptions').execute();
  },
};
