import type { Store } from '../store/store.ts';
import type { StoredUser, NewUserRow } from '../store/import-store.ts';
import { AUDITED_USER_FIELDS as AUDITED_FIELDS, newUserValues, type UserValues } from '../domain/user-fields.ts';
import { compactDirectory, syncContacts } from '../domain/user-directory.ts';
import { PROFILE_FIELDS, USER_DEFAULTS, type Attributes, type UserInput } from '../domain/user.ts';
import { diffFields, REDACTED, redactSecrets, type AuditChanges, type NewAuditEvent } from '../domain/audit.ts';
import type { ImportMode, RowError } from '../domain/import.ts';
import { redactChanges } from './audit-service.ts';
import type { PreparedRow } from './import-row.ts';

/**
 * One batch of checked rows → writes, inside the caller's transaction. Conflicts are found before
 * writing (one look-up per key kind for the whole batch), so a multi-row INSERT only fails on a
 * race with another writer; the caller then replays the batch row by row. Create mode on SQLite
 * instead lets the unique indexes refuse a row (see applyBatch).
 */

/** A row ready to write: its password already hashed (off the transaction) or known unchanged. */
export interface HashedRow extends PreparedRow {
  /** The hash to store for a plain `password`. */
  newHash?: string;
  /** Set when the plain password already verifies against this stored hash (nothing to change). */
  keepsHash?: string;
}

export interface BatchResult {
  created: number;
  updated: number;
  unchanged: number;
  errors: RowError[];
}

/** Key-sorted JSON: PostgreSQL's jsonb does not keep the key order of what was written. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

export class KeyIndex {
  readonly byExternalId = new Map<string, StoredUser>();
  readonly byUsername = new Map<string, StoredUser>();
  readonly byEmail = new Map<string, StoredUser>();
  constructor(users: StoredUser[]) {
    for (const u of users) {
      if (u.externalId !== null) this.byExternalId.set(u.externalId, u);
      if (u.username !== null) this.byUsername.set(u.username.toLowerCase(), u);
      if (u.email !== null) this.byEmail.set(u.email.toLowerCase(), u);
    }
  }

  static keysOf(rows: PreparedRow[]) {
    const keys = { externalIds: [] as string[], usernames: [] as string[], emails: [] as string[] };
    for (const { input } of rows) {
      if (input.externalId != null) keys.externalIds.push(input.externalId);
      if (input.username != null) keys.usernames.push(input.username.toLowerCase());
      if (input.email != null) keys.emails.push(input.email.toLowerCase());
    }
    return keys;
  }

  static async load(store: Store, tenantId: number, rows: PreparedRow[]): Promise<KeyIndex> {
    return new KeyIndex(await store.imports.matching(tenantId, KeyIndex.keysOf(rows)));
  }

  /** Upsert's match: externalId, then username, then email. */
  target(input: UserInput): StoredUser | undefined {
    return (
      (input.externalId != null ? this.byExternalId.get(input.externalId) : undefined) ??
      (input.username != null ? this.byUsername.get(input.username.toLowerCase()) : undefined) ??
      (input.email != null ? this.byEmail.get(input.email.toLowerCase()) : undefined)
    );
  }
}

/** The unique keys a row would give its user, each with the name used in messages. */
type Claim = [key: string, field: string, value: string];
function claims(input: UserInput): Claim[] {
  const out: Claim[] = [];
  if (input.externalId != null) out.push([`x:${input.externalId}`, 'externalId', input.externalId]);
  if (input.username != null) out.push([`u:${input.username.toLowerCase()}`, 'username', input.username]);
  if (input.email != null) out.push([`e:${input.email.toLowerCase()}`, 'email', input.email]);
  return out;
}

function holderOf(index: KeyIndex, field: string, value: string): StoredUser | undefined {
  if (field === 'externalId') return index.byExternalId.get(value);
  if (field === 'username') return index.byUsername.get(value.toLowerCase());
  return index.byEmail.get(value.toLowerCase());
}

/** Every stored value of a new user (create: absent fields take their defaults). */
function fullValues(row: HashedRow): UserValues {
  const v = newUserValues(row.input, row.newHash ?? row.passwordHash ?? null);
  syncContacts(row.input, v, true);
  return v;
}

/** What an update would change on `u`: only fields the row carries and that differ. */
function changesOf(row: HashedRow, u: StoredUser): Partial<UserValues> {
  const i = row.input;
  const c: Partial<UserValues> = {};
  for (const f of PROFILE_FIELDS) if (i[f] !== undefined && i[f] !== u[f]) c[f] = i[f];
  if (i.gender !== undefined && i.gender !== u.gender) c.gender = i.gender;
  if (i.active !== undefined && i.active !== u.active) c.active = Boolean(i.active);
  if (i.verified !== undefined && i.verified !== u.verified) c.verified = Boolean(i.verified);
  if (i.plan !== undefined && (i.plan ?? USER_DEFAULTS.plan) !== u.plan) c.plan = i.plan ?? USER_DEFAULTS.plan;
  if (i.billingType !== undefined && (i.billingType ?? USER_DEFAULTS.billingType) !== u.billingType)
    c.billingType = i.billingType ?? USER_DEFAULTS.billingType;
  if (i.attributes !== undefined && canonical(i.attributes ?? {}) !== canonical(u.attributes))
    c.attributes = (i.attributes ?? {}) as Attributes;
  if (i.directory !== undefined && canonical(compactDirectory(i.directory ?? {})) !== canonical(u.directory))
    c.directory = i.directory ?? {};
  // The changed contact fields and the stored collections kept in step (as every other write does).
  const changed = Object.fromEntries(Object.keys(c).map((k) => [k, i[k as keyof UserInput]])) as UserInput;
  syncContacts(changed, c, false, u);
  if (c.directory !== undefined && canonical(c.directory) === canonical(u.directory)) delete c.directory;
  if (row.passwordHash !== undefined && row.passwordHash !== u.passwordHash) c.passwordHash = row.passwordHash;
  if (row.password !== undefined && !(row.keepsHash !== undefined && row.keepsHash === u.passwordHash))
    c.passwordHash = row.newHash ?? null;
  return c;
}

/** A User-shaped view of stored values, for the audit diff. */
function asAuditable(v: Partial<UserValues>, base?: StoredUser): Record<string, unknown> {
  const o: Record<string, unknown> = { ...(base ?? {}) };
  for (const f of AUDITED_FIELDS) {
    if (!(f in v)) continue;
    o[f] = v[f];
  }
  return o;
}

function auditChanges(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
  passwordBefore: boolean,
  passwordAfter: boolean,
  passwordSent: boolean,
): AuditChanges {
  const changes = diffFields(before, after, AUDITED_FIELDS as unknown as string[]);
  if (passwordSent || passwordBefore !== passwordAfter)
    changes.password = { before: passwordBefore ? 'set' : null, after: passwordAfter ? 'set' : null };
  return redactChanges(changes);
}

/**
 * The audit changes of a created user without the generic diff (a million of these): every
 * field that is set, as { before: null, after }; the password only as "[redacted]".
 */
function createdChanges(v: UserValues): AuditChanges {
  const out: AuditChanges = {};
  for (const f of PROFILE_FIELDS) {
    const x = v[f];
    if (x != null) out[f] = { before: null, after: x };
  }
  if (v.gender != null) out.gender = { before: null, after: v.gender };
  out.active = { before: null, after: v.active };
  out.verified = { before: null, after: v.verified };
  out.plan = { before: null, after: v.plan };
  out.billingType = { before: null, after: v.billingType };
  out.attributes = { before: null, after: redactSecrets(v.attributes) };
  if (v.passwordHash != null) out.password = { before: null, after: REDACTED };
  return out;
}

export interface BatchContext {
  tenantId: number;
  mode: ImportMode;
  actor: string;
  /** No audit events (dry runs: everything is rolled back anyway). */
  audit: boolean;
  now: number;
}

/**
 * Why `row` cannot go in, or null: it matches a user another line already matched, or a key it
 * claims is held by another stored user (`index`) or by an earlier line of the batch (`claimed`).
 */
function problemOf(
  ctx: BatchContext,
  index: KeyIndex,
  claimed: Map<string, number>,
  row: HashedRow,
  keys: Claim[],
  target: StoredUser | undefined,
): string | null {
  if (target) {
    const k = `id:${target.id}`;
    if (claimed.has(k)) return `matches the same user as line ${claimed.get(k)}`;
    claimed.set(k, row.line);
  }
  for (const [key, field, value] of keys) {
    const holder = holderOf(index, field, value);
    if (holder && holder.id !== target?.id) {
      return ctx.mode === 'create'
        ? `a user with ${field} "${value}" already exists (id ${holder.id})`
        : `${field} "${value}" belongs to another user (id ${holder.id})`;
    }
    if (claimed.has(key)) return `has the same ${field} as line ${claimed.get(key)}`;
  }
  return null;
}

function newUserRow(ctx: BatchContext, row: HashedRow, values: UserValues): NewUserRow {
  const createdAt = row.createdAt ?? ctx.now;
  return {
    values,
    createdAt,
    updatedAt: row.updatedAt ?? (row.createdAt !== undefined ? createdAt : ctx.now),
    lastLoginAt: row.lastLoginAt ?? null,
  };
}

const createdEvent = (ctx: BatchContext, id: number, values: UserValues): NewAuditEvent => ({
  tenantId: ctx.tenantId,
  actor: ctx.actor,
  action: 'user.create',
  target: `user:${id}`,
  changes: createdChanges(values),
});

/** Applies one batch on `tx` (a transaction's Store). */
export async function applyBatch(tx: Store, ctx: BatchContext, rows: HashedRow[]): Promise<BatchResult> {
  const result: BatchResult = { created: 0, updated: 0, unchanged: 0, errors: [] };
  if (rows.length === 0) return result;
  // Create mode on SQLite: each row goes in at once and the unique indexes tell which keys are
  // taken, so the batch skips looking up three keys per row first (on an empty tenant, a million
  // look-ups that find nothing). The holder is looked up only for a refused row, for its message.
  const insertNow = ctx.mode === 'create' ? tx.imports.userInserter(ctx.tenantId) : null;
  const index = insertNow ? new KeyIndex([]) : await KeyIndex.load(tx, ctx.tenantId, rows);
  const claimed = new Map<string, number>();
  const inserts: { values: UserValues; insert: NewUserRow }[] = [];
  const events: NewAuditEvent[] = [];

  for (const row of rows) {
    const target = ctx.mode === 'upsert' ? index.target(row.input) : undefined;
    const keys = claims(row.input);
    const problem = problemOf(ctx, index, claimed, row, keys, target);
    if (problem) {
      result.errors.push({ line: row.line, message: problem });
      continue;
    }

    if (!target) {
      const values = fullValues(row);
      if (!insertNow) {
        for (const [key] of keys) claimed.set(key, row.line);
        inserts.push({ values, insert: newUserRow(ctx, row, values) });
        continue;
      }
      const id = insertNow(newUserRow(ctx, row, values));
      if (id === null) {
        const taken = problemOf(ctx, await KeyIndex.load(tx, ctx.tenantId, [row]), new Map(), row, keys, undefined);
        if (!taken) throw new Error(`line ${row.line}: a unique index refused the row, but no user holds its keys`);
        result.errors.push({ line: row.line, message: taken });
        continue;
      }
      for (const [key] of keys) claimed.set(key, row.line);
      result.created++;
      if (ctx.audit) events.push(createdEvent(ctx, id, values));
      continue;
    }
    for (const [key] of keys) claimed.set(key, row.line);
    const changes = changesOf(row, target);
    if (Object.keys(changes).length === 0) {
      result.unchanged++;
      continue;
    }
    const after = await tx.users.update(ctx.tenantId, target.id, changes, {
      expectedVersion: target.version,
      now: ctx.now,
    });
    if (!after) {
      result.errors.push({
        line: row.line,
        message: `user ${target.id} was changed by another writer meanwhile; import the file again`,
      });
      continue;
    }
    result.updated++;
    if (ctx.audit) {
      const hadPassword = target.passwordHash !== null;
      const hasPassword = 'passwordHash' in changes ? changes.passwordHash != null : hadPassword;
      events.push({
        tenantId: ctx.tenantId,
        actor: ctx.actor,
        action: 'user.update',
        target: `user:${target.id}`,
        changes: auditChanges(
          asAuditable({}, target),
          asAuditable(changes, target),
          hadPassword,
          hasPassword,
          'passwordHash' in changes,
        ),
      });
    }
  }

  if (inserts.length > 0) {
    const ids = await tx.imports.insertMany(
      ctx.tenantId,
      inserts.map((x) => x.insert),
    );
    result.created += ids.length;
    if (ctx.audit) inserts.forEach((x, n) => events.push(createdEvent(ctx, ids[n], x.values)));
  }
  if (events.length > 0) await tx.imports.insertAuditEvents(events, ctx.now);
  return result;
}
