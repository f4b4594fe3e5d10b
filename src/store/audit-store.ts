import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, Database } from './schema.ts';
import type { AuditChanges, AuditEvent, AuditQuery, NewAuditEvent } from '../domain/audit.ts';

function toEvent(r: Selectable<AuditEventsTable>): AuditEvent {
  const changes = r.changes === null ? {} : typeof r.changes === 'string' ? (JSON.parse(r.changes) as AuditChanges) : (r.changes as AuditChanges);
  return { id: r.id, tenantId: r.tenantId, at: new Date(r.at), actor: r.actor, action: r.action, target: r.target, changes };
}

/** Append-only: events are inserted and read, never updated or deleted. */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: NewAuditEvent): Promise<void> {
    await this.db
      .insertInto('auditEvents')
      .values({
        tenantId: e.tenantId,
        at: (e.at ?? new Date()).getTime(),
        actor: e.actor,
        action: e.action,
        target: e.target,
        changes: e.changes && Object.keys(e.changes).length > 0 ? JSON.stringify(e.changes) : null,
      })
      .execute();
  }

  /** Newest first (by id), one page; `beforeId` continues after the previous page. */
  async list(tenantId: number, q: AuditQuery): Promise<AuditEvent[]> {
    let s = this.db.selectFrom('auditEvents').selectAll().where('tenantId', '=', tenantId);
    if (q.beforeId !== undefined) s = s.where('id', '<', q.beforeId);
    if (q.actor !== undefined) s = s.where('actor', '=', q.actor);
    if (q.target !== undefined) s = s.where('target', '=', q.target);
    if (q.action !== undefined) s = s.where('action', '=', q.action);
    const rows = await s.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toEvent);
  }
}
