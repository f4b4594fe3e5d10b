import { conflict, isDomainError } from '../domain/errors.ts';
import type { Principal } from '../domain/privileges.ts';
import {
  validateAttributes,
  type Attributes,
  type Gender,
  type ProfileField,
  type User,
  type UserInput,
} from '../domain/user.ts';
import type { UserService, WriteOptions } from './user-service.ts';

/**
 * The core profile fields an "account" shows. externalId, active, verified, plan and
 * billingType belong to other dialects: an account write never touches them.
 */
export const ACCOUNT_FIELDS = [
  'email',
  'username',
  'firstName',
  'middleName',
  'lastName',
  'displayName',
  'company',
  'title',
  'department',
  'website',
  'phoneHome',
  'phoneOffice',
  'phoneMobile',
  'phoneTollFree',
  'phoneOther',
  'pager',
  'fax',
] as const satisfies readonly ProfileField[];
export type AccountField = (typeof ACCOUNT_FIELDS)[number];

/** An account write in core terms. A custom attribute set to null means "remove it". */
export interface AccountInput {
  profile: Partial<Record<AccountField, string | null>>;
  gender?: Gender | null;
  password?: string;
  custom: Attributes;
}

/** Each lost race means another write landed, so this many concurrent writers to one account always finish. */
const MERGE_ATTEMPTS = 10;

const withoutNulls = (attrs: Attributes): Attributes =>
  Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== null));

/** Account-shaped writes over UserService (which keeps the privilege checks, rules, hashing and audit). */
export class AccountService {
  constructor(private readonly users: UserService) {}

  async create(p: Principal, tenantId: number, a: AccountInput): Promise<User> {
    validateAttributes(a.custom);
    return this.users.create(p, tenantId, {
      ...a.profile,
      gender: a.gender,
      password: a.password,
      attributes: withoutNulls(a.custom),
    });
  }

  /**
   * PUT: every account field and custom attribute not sent is cleared; the password stays unless sent.
   * Done as one core patch naming every account field, so fields this dialect cannot see are kept.
   */
  async replace(p: Principal, tenantId: number, id: number, a: AccountInput, opts: WriteOptions = {}): Promise<User> {
    validateAttributes(a.custom);
    const input: UserInput = { gender: a.gender ?? null, attributes: withoutNulls(a.custom) };
    for (const f of ACCOUNT_FIELDS) input[f] = a.profile[f] ?? null;
    if (a.password !== undefined) input.password = a.password;
    return this.users.patch(p, tenantId, id, input, opts);
  }

  /**
   * PATCH: only what is sent changes, custom attributes included. The core stores custom attributes
   * as one object, so they are merged into the current ones under a version check (retried on a race).
   */
  async patch(p: Principal, tenantId: number, id: number, a: AccountInput, opts: WriteOptions = {}): Promise<User> {
    validateAttributes(a.custom);
    const base: UserInput = { ...a.profile };
    if (a.gender !== undefined) base.gender = a.gender;
    if (a.password !== undefined) base.password = a.password;
    if (Object.keys(a.custom).length === 0) return this.users.patch(p, tenantId, id, base, opts);

    for (let attempt = 1; ; attempt++) {
      const current = await this.users.get(p, tenantId, id);
      if (opts.expectedVersion !== undefined && current.version !== opts.expectedVersion) {
        return this.users.patch(p, tenantId, id, base, opts); // answers the 412 (or 404) as the core words it
      }
      const attributes: Attributes = { ...current.attributes };
      for (const [k, v] of Object.entries(a.custom)) {
        if (v === null) delete attributes[k];
        else attributes[k] = v;
      }
      try {
        return await this.users.patch(p, tenantId, id, { ...base, attributes }, { expectedVersion: current.version });
      } catch (e) {
        const raced = isDomainError(e) && e.kind === 'precondition_failed';
        if (!raced) throw e;
        if (opts.expectedVersion !== undefined) throw e;
        if (attempt >= MERGE_ATTEMPTS)
          throw conflict('account.busy', 'the account is being changed by other requests; try again');
      }
    }
  }
}
