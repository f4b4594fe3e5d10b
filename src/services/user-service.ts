import type { Store } from '../store/store.ts';
import {
  compileLiteral,
  newUserValues,
  read,
  sentUserValues,
  AUDITED_USER_FIELDS as AUDITED_FIELDS,
  type UserValues,
} from '../domain/user-fields.ts';
import { conflict, DomainError, notFound, preconditionFailed, uniqueViolation } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import type { UserGroupRef } from '../domain/group.ts';
import { normalizeIdentity, normalizeUserInput, validateUserInput, type User, type UserInput } from '../domain/user.ts';
import { syncContacts, validateDirectory } from '../domain/user-directory.ts';
import { MAX_PAGE, validateUserQuery, type UserPage, type UserQuery } from '../domain/user-query.ts';
import { hasUnstorableText } from '../domain/text.ts';
import { invalid } from '../domain/errors.ts';
import { authorize } from './access.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { DEFAULT_TENANT_SETTINGS, tenantNotFound } from '../domain/tenant.ts';
import { diffFields, type AuditChanges } from '../domain/audit.ts';
import { actorName, recordAudit, redactChanges, type Actor } from './audit-service.ts';

/** Maps a unique-index violation to the field it concerns. */
export function userConflict(e: unknown): DomainError | null {
  const which = uniqueViolation(e);
  if (!which) return null;
  if (/username/.test(which))
    return conflict('user.username_taken', 'a user with this username already exists in this tenant', 'username');
  if (/email/.test(which))
    return conflict('user.email_taken', 'a user with this email already exists in this tenant', 'email');
  if (/external/.test(which))
    return conflict(
      'user.external_id_taken',
      'a user with this externalId already exists in this tenant',
      'externalId',
    );
  return conflict('user.conflict', 'the user conflicts with an existing one');
}

export interface WriteOptions {
  /** If-Match: the version the client last saw. */
  expectedVersion?: number;
  /**
   * Who makes the change, for the audit trail. Checked writes use their principal; unchecked
   * (self-service) writes default to the user themselves (`user:<id>`).
   */
  actor?: Actor;
}

/** before/after of every audited field that differs; `password` when one was sent or cleared. */
function userChanges(before: AuditedView | null, after: AuditedView | null, input?: UserInput): AuditChanges {
  const changes = diffFields<AuditedView>(before, after, AUDITED_FIELDS);
  const pwBefore = before?.hasPassword ? 'set' : null;
  const pwAfter = after?.hasPassword ? 'set' : null;
  if (input?.password !== undefined || pwBefore !== pwAfter) changes.password = { before: pwBefore, after: pwAfter };
  return changes; // recordAudit replaces the password values by [redacted]
}

type AuditedView = Pick<User, (typeof AUDITED_FIELDS)[number] | 'hasPassword'>;

/** How a user created from these values reads (its audited fields), before its row is written. */
const createdView = compileLiteral<(v: UserValues) => AuditedView>(
  ['v'],
  [...AUDITED_FIELDS.map((f): [string, string] => [f, read('v', f)]), ['hasPassword', 'v.passwordHash != null']],
);

/** Optimistic retries of a read-then-write when another writer changed the row in between. */
const WRITE_ATTEMPTS = 5;
const writeConflict = () => conflict('user.write_conflict', 'the user is being changed by another request; try again');

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
  ) {}

  private async passwordMinLength(tenantId: number): Promise<number> {
    const t = await this.store.tenants.byId(tenantId);
    return (t?.settings ?? DEFAULT_TENANT_SETTINGS).passwordMinLength;
  }

  private async validate(tenantId: number, input: UserInput): Promise<void> {
    const min = input.password != null ? await this.passwordMinLength(tenantId) : undefined;
    validateUserInput(input, { passwordMinLength: min });
    if (input.directory != null) validateDirectory(input.directory);
  }

  /** Input → stored values; `full` fills every field not sent with its empty/default value (create, replace). */
  private async values(input: UserInput, full: boolean): Promise<Partial<UserValues>> {
    const hash = input.password == null ? null : await this.hasher.hash(input.password);
    if (full) {
      const v: Partial<UserValues> = newUserValues(input, hash);
      // A replace that sends no password keeps the user's (its last key: deleting it keeps the shape cheap).
      if (input.password === undefined) delete v.passwordHash;
      return v;
    }
    const v: Partial<UserValues> = sentUserValues(input);
    if (input.password !== undefined) v.passwordHash = hash;
    return v;
  }

  async create(p: Principal, tenantId: number, input: UserInput, opts: { actor?: Actor } = {}): Promise<User> {
    authorize(p, tenantId, 'users:write');
    return this.createUnchecked(tenantId, input, { actor: opts.actor ?? p });
  }

  /**
   * Creation on behalf of a dialect that has its own gate (e.g. public sign-up: the actor is then
   * the new user; imports and other gated callers pass their own `actor`).
   */
  async createUnchecked(tenantId: number, sent: UserInput, opts: { actor?: Actor } = {}): Promise<User> {
    const input = normalizeUserInput(sent);
    await this.validate(tenantId, input);
    if (!(await this.store.tenants.byId(tenantId))) throw tenantNotFound();
    // Hashing happens before the transaction: it must stay short (SQLite has one writer).
    const values = (await this.values(input, true)) as UserValues;
    syncContacts(input, values, true);
    // The event is made from the values before the row exists, so it can be written with the row
    // in one statement (PostgreSQL): a created user reads back exactly these values.
    const changes = redactChanges(userChanges(null, createdView(values), input));
    const actor = opts.actor !== undefined ? actorName(opts.actor) : null;
    try {
      return await this.store.insertUserAudited(tenantId, values, { actor, action: 'user.create', changes });
    } catch (e) {
      throw userConflict(e) ?? e;
    }
  }

  async get(p: Principal, tenantId: number, id: number): Promise<User> {
    authorize(p, tenantId, 'users:read');
    const u = await this.store.users.byId(tenantId, id);
    if (!u) throw notFound('user.not_found', `user ${id} not found`);
    return u;
  }

  /** A user with the groups it belongs to (SCIM's User.groups), read in one statement. */
  async getWithGroups(p: Principal, tenantId: number, id: number): Promise<User & { groups: UserGroupRef[] }> {
    authorize(p, tenantId, 'users:read');
    const u = await this.store.users.byIdWithGroups(tenantId, id);
    if (!u) throw notFound('user.not_found', `user ${id} not found`);
    return u;
  }

  /** Reads without a principal check; for dialects that authenticated the user themselves. */
  async find(
    tenantId: number,
    by: { id?: number; externalId?: string; username?: string; email?: string },
  ): Promise<User | null> {
    // No stored value holds text that breaks the text rule: nobody is found by it.
    if (hasUnstorableText(by)) return null;
    if (by.id !== undefined) return this.store.users.byId(tenantId, by.id);
    if (by.externalId !== undefined) return this.store.users.byExternalId(tenantId, by.externalId);
    if (by.username !== undefined) return this.store.users.byUsername(tenantId, normalizeIdentity(by.username));
    if (by.email !== undefined) return this.store.users.byEmail(tenantId, normalizeIdentity(by.email));
    return null;
  }

  /** PUT: every field not sent is cleared (to its default); the password stays unless one is sent. */
  async replace(p: Principal, tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    authorize(p, tenantId, 'users:write');
    return this.write(tenantId, id, input, true, { ...opts, actor: opts.actor ?? p });
  }

  /** PATCH: only what is sent changes. */
  async patch(p: Principal, tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    authorize(p, tenantId, 'users:write');
    return this.write(tenantId, id, input, false, { ...opts, actor: opts.actor ?? p });
  }

  /** An update by a dialect that has its own gate (self-service; the actor defaults to the user). */
  async patchUnchecked(tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    return this.write(tenantId, id, input, false, opts);
  }

  /** A full replace by a dialect that has its own gate (the actor defaults to the user). */
  async replaceUnchecked(tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    return this.write(tenantId, id, input, true, opts);
  }

  /**
   * Reads the row, checks If-Match, writes pinned to the version read (so the audit's "before" is
   * exactly what was replaced) and records the event, all in one transaction.
   */
  private async write(tenantId: number, id: number, sent: UserInput, full: boolean, opts: WriteOptions): Promise<User> {
    const input = normalizeUserInput(sent);
    await this.validate(tenantId, input);
    const values = await this.values(input, full);
    // A replace that sends no directory keeps it (as the password): other dialects' PUTs do not know it.
    if (full && input.directory === undefined) delete values.directory;
    try {
      return await this.store.transaction(async (tx) => {
        for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
          const before = await tx.users.byId(tenantId, id);
          if (!before) throw notFound('user.not_found', `user ${id} not found`);
          if (opts.expectedVersion !== undefined && before.version !== opts.expectedVersion) throw preconditionFailed();
          const changes = { ...values };
          syncContacts(input, changes, full, before);
          const updated = await tx.users.update(tenantId, id, changes, { expectedVersion: before.version });
          if (!updated) continue; // changed or deleted meanwhile: look again
          await recordAudit(tx, {
            tenantId,
            actor: actorName(opts.actor ?? `user:${id}`),
            action: 'user.update',
            target: `user:${id}`,
            changes: userChanges(before, updated, input),
          });
          return updated;
        }
        throw writeConflict();
      });
    } catch (e) {
      throw userConflict(e) ?? e;
    }
  }

  async delete(p: Principal, tenantId: number, id: number, opts: WriteOptions = {}): Promise<void> {
    authorize(p, tenantId, 'users:delete');
    return this.deleteUnchecked(tenantId, id, { ...opts, actor: opts.actor ?? p });
  }

  /** Deletion by a dialect that has its own gate (the actor defaults to the user). */
  async deleteUnchecked(tenantId: number, id: number, opts: WriteOptions = {}): Promise<void> {
    await this.store.transaction(async (tx) => {
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        const before = await tx.users.byId(tenantId, id);
        if (!before) throw notFound('user.not_found', `user ${id} not found`);
        if (opts.expectedVersion !== undefined && before.version !== opts.expectedVersion) throw preconditionFailed();
        if (!(await tx.users.delete(tenantId, id, before.version))) continue;
        // The deleted values stay in the trail (secrets excepted): who was deleted is answerable later.
        await recordAudit(tx, {
          tenantId,
          actor: actorName(opts.actor ?? `user:${id}`),
          action: 'user.delete',
          target: `user:${id}`,
          changes: userChanges(before, null),
        });
        return;
      }
      throw writeConflict();
    });
  }

  async list(p: Principal, tenantId: number, query: UserQuery): Promise<UserPage<User>> {
    authorize(p, tenantId, 'users:read');
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE) {
      throw invalid('query.invalid_limit', `limit must be an integer from 1 to ${MAX_PAGE}`, 'limit');
    }
    validateUserQuery(query);
    return this.store.users.list(tenantId, query);
  }

  /** Checks a user's password; on success records the login and upgrades a legacy hash. */
  async login(tenantId: number, id: number, password: string): Promise<boolean> {
    const stored = await this.store.users.passwordHash(tenantId, id);
    if (!stored) return false;
    const { ok, upgrade } = await this.hasher.verify(stored, password);
    if (!ok) return false;
    if (upgrade) await this.store.users.setPasswordHash(tenantId, id, await this.hasher.hash(password));
    const now = Date.now();
    await this.store.users.touchLogin(tenantId, id, now);
    await this.store.stats.countLogin(tenantId, now);
    return true;
  }
}
