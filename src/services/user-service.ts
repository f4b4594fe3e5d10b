import type { Store } from '../store/store.ts';
import { uniqueViolation } from '../store/database.ts';
import type { UserValues } from '../store/user-row.ts';
import { conflict, DomainError, notFound, preconditionFailed } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import { PROFILE_FIELDS, USER_DEFAULTS, validateUserInput, type User, type UserInput } from '../domain/user.ts';
import { MAX_PAGE, type UserPage, type UserQuery } from '../domain/user-query.ts';
import { invalid } from '../domain/errors.ts';
import { authorize } from './access.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { DEFAULT_TENANT_SETTINGS } from '../domain/tenant.ts';

/** Maps a unique-index violation to the field it concerns. */
export function userConflict(e: unknown): DomainError | null {
  const which = uniqueViolation(e);
  if (!which) return null;
  if (/username/.test(which)) return conflict('user.username_taken', 'a user with this username already exists in this tenant', 'username');
  if (/email/.test(which)) return conflict('user.email_taken', 'a user with this email already exists in this tenant', 'email');
  if (/external/.test(which)) return conflict('user.external_id_taken', 'a user with this externalId already exists in this tenant', 'externalId');
  return conflict('user.conflict', 'the user conflicts with an existing one');
}

export interface WriteOptions {
  /** If-Match: the version the client last saw. */
  expectedVersion?: number;
}

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
  }

  /** Input → stored values; `full` fills every field not sent with its empty/default value (create, replace). */
  private async values(input: UserInput, full: boolean): Promise<Partial<UserValues>> {
    const v: Partial<UserValues> = {};
    for (const f of PROFILE_FIELDS) {
      if (input[f] !== undefined) v[f] = input[f];
      else if (full) v[f] = null;
    }
    if (input.gender !== undefined || full) v.gender = input.gender ?? null;
    if (input.active !== undefined || full) v.active = (input.active ?? USER_DEFAULTS.active) ? 1 : 0;
    if (input.verified !== undefined || full) v.verified = (input.verified ?? USER_DEFAULTS.verified) ? 1 : 0;
    if (input.plan !== undefined || full) v.plan = input.plan ?? USER_DEFAULTS.plan;
    if (input.billingType !== undefined || full) v.billingType = input.billingType ?? USER_DEFAULTS.billingType;
    if (input.attributes !== undefined || full) v.attributes = input.attributes ?? {};
    if (input.password !== undefined) v.passwordHash = input.password === null ? null : await this.hasher.hash(input.password);
    return v;
  }

  async create(p: Principal, tenantId: number, input: UserInput): Promise<User> {
    authorize(p, tenantId, 'users:write');
    return this.createUnchecked(tenantId, input);
  }

  /** Creation on behalf of a dialect that has its own gate (e.g. public sign-up). */
  async createUnchecked(tenantId: number, input: UserInput): Promise<User> {
    await this.validate(tenantId, input);
    if (!(await this.store.tenants.byId(tenantId))) throw notFound('tenant.not_found', `tenant ${tenantId} not found`);
    const values = (await this.values(input, true)) as UserValues;
    try {
      return await this.store.users.insert(tenantId, values);
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

  /** Reads without a principal check; for dialects that authenticated the user themselves. */
  async find(tenantId: number, by: { id?: number; externalId?: string; username?: string; email?: string }): Promise<User | null> {
    if (by.id !== undefined) return this.store.users.byId(tenantId, by.id);
    if (by.externalId !== undefined) return this.store.users.byExternalId(tenantId, by.externalId);
    if (by.username !== undefined) return this.store.users.byUsername(tenantId, by.username);
    if (by.email !== undefined) return this.store.users.byEmail(tenantId, by.email);
    return null;
  }

  /** PUT: every field not sent is cleared (to its default); the password stays unless one is sent. */
  async replace(p: Principal, tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    authorize(p, tenantId, 'users:write');
    return this.write(tenantId, id, input, true, opts);
  }

  /** PATCH: only what is sent changes. */
  async patch(p: Principal, tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    authorize(p, tenantId, 'users:write');
    return this.write(tenantId, id, input, false, opts);
  }

  /** An update by a dialect that has its own gate (self-service). */
  async patchUnchecked(tenantId: number, id: number, input: UserInput, opts: WriteOptions = {}): Promise<User> {
    return this.write(tenantId, id, input, false, opts);
  }

  private async write(tenantId: number, id: number, input: UserInput, full: boolean, opts: WriteOptions): Promise<User> {
    await this.validate(tenantId, input);
    const values = await this.values(input, full);
    let updated: User | null;
    try {
      updated = await this.store.users.update(tenantId, id, values, { expectedVersion: opts.expectedVersion });
    } catch (e) {
      throw userConflict(e) ?? e;
    }
    if (updated) return updated;
    if (opts.expectedVersion !== undefined && (await this.store.users.byId(tenantId, id))) throw preconditionFailed();
    throw notFound('user.not_found', `user ${id} not found`);
  }

  async delete(p: Principal, tenantId: number, id: number, opts: WriteOptions = {}): Promise<void> {
    authorize(p, tenantId, 'users:delete');
    if (await this.store.users.delete(tenantId, id, opts.expectedVersion)) return;
    if (opts.expectedVersion !== undefined && (await this.store.users.byId(tenantId, id))) throw preconditionFailed();
    throw notFound('user.not_found', `user ${id} not found`);
  }

  async list(p: Principal, tenantId: number, query: UserQuery): Promise<UserPage<User>> {
    authorize(p, tenantId, 'users:read');
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE) {
      throw invalid('query.invalid_limit', `limit must be an integer from 1 to ${MAX_PAGE}`, 'limit');
    }
    return this.store.users.list(tenantId, query);
  }

  /** Checks a user's password; on success records the login and upgrades a legacy hash. */
  async login(tenantId: number, id: number, password: string): Promise<boolean> {
    const stored = await this.store.users.passwordHash(tenantId, id);
    if (!stored) return false;
    const { ok, upgrade } = await this.hasher.verify(stored, password);
    if (!ok) return false;
    if (upgrade) await this.store.users.setPasswordHash(tenantId, id, await this.hasher.hash(password));
    await this.store.users.touchLogin(tenantId, id);
    return true;
  }
}
