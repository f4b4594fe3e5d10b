import { sql } from 'kysely';
import type { RosterMigration } from './migration.ts';

/**
 * PostgreSQL: the webhook outbox trigger runs once per INSERT statement over its new rows (a
 * transition table) instead of once per audit event, so an import's bulk insert of thousands of
 * events pays one set-based outbox insert, not a PL/pgSQL call per row. Same rows as before.
 * SQLite has no statement-level triggers and keeps its per-row one.
 */
export const outboxPerStatement: RosterMigration = {
  async up(db, kind) {
    if (kind !== 'postgres') return;
    await sql`
      create function webhook_outbox_rows() returns trigger language plpgsql as $$
      begin
        insert into webhook_deliveries (subscription_id, event_id, state, attempts, next_attempt_at, created_at)
        select s.id, n.id, 'pending', 0, n.at, n.at
        from new_events n join webhook_subscriptions s on s.tenant_id = n.tenant_id and s.active
        where exists (
          select 1 from jsonb_array_elements_text(s.events) e(v)
          where e.v = '*' or e.v = n.action
            or (right(e.v, 2) = '.*' and left(n.action, length(e.v) - 1) = left(e.v, length(e.v) - 1)))
        order by n.id, s.id;
        return null;
      end $$`.execute(db);
    await sql`drop trigger audit_events_webhook_outbox on audit_events`.execute(db);
    await sql`create trigger audit_events_webhook_outbox after insert on audit_events
      referencing new table as new_events for each statement execute function webhook_outbox_rows()`.execute(db);
    await sql`drop function webhook_outbox()`.execute(db);
  },
  async down(db, kind) {
    if (kind !== 'postgres') return;
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
    await sql`drop trigger audit_events_webhook_outbox on audit_events`.execute(db);
    await sql`create trigger audit_events_webhook_outbox after insert on audit_events
      for each row execute function webhook_outbox()`.execute(db);
    await sql`drop function webhook_outbox_rows()`.execute(db);
  },
};
