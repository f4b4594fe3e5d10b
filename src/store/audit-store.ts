import type { Kysely, Selectable } from 'kysely';
import { compiledForShape } from './precompiled.ts';
import type { AuditEventsTable, Database } from './schema.ts';
import type { AuditChanges, AuditEvent, AuditQuery, NewAuditEvent } from '../domain/audit.ts';

function toEvent(r: Selectable<AuditEventsTable>): AuditEvent {
  const changes =
    r.changes === null
      ? {}
      : typeof r.changes === 'string'
        ? (JSON.parse(r.changes) as AuditChanges)
        : (r.changes as AuditChanges);
  return {
    id: r.id,
    tenantId: r.tenantId,
    at: new Date(r.at),
    actor: r.actor,
    action: r.action,
    target: r.target,
    changes,
  };
}

/** The stored form of an event's changes: JSON, or null when nothing is listed. */
export const changesJson = (changes: AuditChanges | undefined): string | null =>
  changes && Object.keys(changes).length > 0 ? JSON.stringify(changes) : null;

/** Append-only: events are inserted and read, never updated or deleted. */
export class AuditStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(e: NewAuditEvent): Promise<void> {
    const values = [e.tenantId, (e.at ?? new Date()).getTime(), e.actor, e.action, e.target, changesJson(e.changes)];
    // Every write records one: compiled once (see precompiled.ts).
    const q = compiledForShape(this.db, 'audit.insert', values, ([tenantId, at, actor, action, target, changes]) =>
      this.db.insertInto('auditEvents').values({ tenantId, at, actor, action, target, changes } as never),
    );
    await this.db.executeQuery(q);
  }

  /** Newest first (by id), one page; `beforeId` continues after the previous page. */
  async list(tenantId: number, q: AuditQuery): Promise<AuditEvent[]> {
    let s = this.db.selectFrom('auditEvents').selectAll().where('tenantId', '=', tenantId);
    if (q.beforeId !== undefined) s = s.where('id', '<', q.beforeId);
    if (q.actor !== undefined) s = s.where('actor', '=', q.actor);
    if (q.target !== undefined) s = s.where('target', '=', q.target);
    if (q.action !== undefined) s = s.where('action', '=', q.action);
    if (q.from !== undefined) s = s.where('at', '>=', q.from.getTime());
    if (q.to !== undefined) s = s.where('at', '<', q.to.getTime());
    const rows = await s.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map(toEvent);
  }
}
