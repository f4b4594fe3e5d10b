import type { Store } from '../store/store.ts';
import { invalid } from '../domain/errors.ts';
import { tenantNotFound } from '../domain/tenant.ts';
import { actorOf, type Principal } from '../domain/privileges.ts';
import {
  REDACTED,
  SECRET_FIELD,
  redactSecrets,
  type AuditChanges,
  type AuditEvent,
  type NewAuditEvent,
} from '../domain/audit.ts';
import { authorize } from './access.ts';
import { checkTextFields } from '../domain/text.ts';

export const AUDIT_MAX_PAGE = 1000;

/** Who acts in a write: a principal, or an actor string already made (`user:12`, `system`). */
export type Actor = Principal | string;

export const actorName = (a: Actor): string => (typeof a === 'string' ? a : actorOf(a));

/**
 * Records an audit event on the executor of the change it describes (pass the transaction's
 * Store, so the event and the change commit or roll back together). Secret-named fields are
 * redacted here whatever the caller passed: the trail never holds a password, hash or key.
 */
export async function recordAudit(tx: Store, event: NewAuditEvent): Promise<void> {
  // An update that changed nothing is not a change: no event.
  if (event.action.endsWith('.update') && event.changes && Object.keys(event.changes).length === 0) return;
  await tx.audit.insert({ ...event, changes: event.changes ? redactChanges(event.changes) : undefined });
}

/** A secret field keeps its shape (was it set before, is it set after) but never its value. */
export function redactChanges(changes: AuditChanges): AuditChanges {
  const out: AuditChanges = {};
  for (const [field, c] of Object.entries(changes)) {
    out[field] = SECRET_FIELD.test(field)
      ? { before: c.before == null ? null : REDACTED, after: c.after == null ? null : REDACTED }
      : { before: redactSecrets(c.before), after: redactSecrets(c.after) };
  }
  return out;
}

/** An ISO 8601 date-time of a query, or a 400 naming the parameter. */
function instant(v: string | undefined, field: string): Date | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw invalid('query.invalid_value', `${field} must be an ISO 8601 date-time`, field);
  return new Date(t);
}

export class AuditService {
  constructor(private readonly store: Store) {}

  /** See recordAudit; for services that write in their own transactions (groups, keys, imports...). */
  record(tx: Store, event: NewAuditEvent): Promise<void> {
    return recordAudit(tx, event);
  }

  async list(
    p: Principal,
    tenantId: number,
    q: { limit: number; cursor?: string; actor?: string; target?: string; action?: string; from?: string; to?: string },
  ): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    authorize(p, tenantId, 'audit:read');
    if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > AUDIT_MAX_PAGE) {
      throw invalid('query.invalid_limit', `limit must be an integer from 1 to ${AUDIT_MAX_PAGE}`, 'limit');
    }
    checkTextFields({ actor: q.actor, target: q.target, action: q.action }, 'query.invalid_value');
    const from = instant(q.from, 'from');
    const to = instant(q.to, 'to');
    if (from && to && from.getTime() > to.getTime())
      throw invalid('query.invalid_range', 'from must not be later than to', 'from');
    let beforeId: number | undefined;
    if (q.cursor !== undefined) {
      if (!/^[1-9]\d{0,15}$/.test(q.cursor))
        throw invalid('query.invalid_cursor', 'cursor is not one this API gave out', 'cursor');
      beforeId = Number(q.cursor);
    }
    // A deleted tenant keeps its trail, so only root may still read it; managers need a live tenant.
    if (p.kind !== 'root' && !(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    const items = await this.store.audit.list(tenantId, {
      limit: q.limit + 1,
      beforeId,
      actor: q.actor,
      target: q.target,
      action: q.action,
      from,
      to,
    });
    const more = items.length > q.limit;
    const page = more ? items.slice(0, q.limit) : items;
    return { items: page, nextCursor: more ? String(page[page.length - 1].id) : null };
  }
}
