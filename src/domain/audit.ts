/**
 * The audit trail's vocabulary. An actor is `root`, `manager:<id>`, `user:<id>` (self-service) or
 * `system` (start-up); a target is `<kind>:<id>` (`user:12`, `manager:3`, `tenant:2`).
 */
export interface FieldChange {
  before: unknown;
  after: unknown;
}

export type AuditChanges = Record<string, FieldChange>;

export interface AuditEvent {
  id: number;
  tenantId: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  changes: AuditChanges;
}

export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at' | 'changes'> & { at?: Date; changes?: AuditChanges };

export interface AuditQuery {
  limit: number;
  /** Keyset cursor: the id of the last event of the previous page (older events follow). */
  beforeId?: number;
  actor?: string;
  target?: string;
  action?: string;
  /** Events at or after this instant. */
  from?: Date;
  /** Events before this instant. */
  to?: Date;
}

/** Shown instead of a secret's value: the trail says a secret changed, never what it is. */
export const REDACTED = '[redacted]';

/** Field names whose values are secrets wherever they appear (by suffix: apiKey, passwordHash, keyDigest...). */
export const SECRET_FIELD = /(pass|password|passwd|pwd|secret|token|hash|digest|key|credentials?)$/i;

/** Replaces every secret-named field (at any depth) by REDACTED. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_FIELD.test(k) ? (v === null || v === undefined ? v : REDACTED) : redactSecrets(v, depth + 1);
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** before/after of each listed field that differs (Dates compared by instant). */
export function diffFields<T extends object>(
  before: T | null,
  after: T | null,
  fields: readonly (keyof T & string)[],
): AuditChanges {
  const out: AuditChanges = {};
  for (const f of fields) {
    const b = before ? norm(before[f]) : null;
    const a = after ? norm(after[f]) : null;
    if (!same(b, a)) out[f] = { before: b, after: a };
  }
  return out;
}

function norm(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  return v === undefined ? null : v;
}
