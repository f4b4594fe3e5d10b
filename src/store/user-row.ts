import type { Insertable, Selectable } from 'kysely';
import type { UsersTable } from './schema.ts';
import { PROFILE_FIELDS, type Attributes, type Gender, type User } from '../domain/user.ts';

/** A complete set of stored user values (what an insert or a full replace writes). */
export type UserValues = Omit<
  Insertable<UsersTable>,
  'id' | 'tenantId' | 'usernameLower' | 'emailLower' | 'createdAt' | 'updatedAt' | 'version' | 'attributes'
> & {
  attributes: Attributes;
};

export type UserChanges = Partial<UserValues>;

/** The columns read for a user (everything but the password hash). */
export const USER_COLUMNS = [
  'id',
  'tenantId',
  ...PROFILE_FIELDS,
  'gender',
  'active',
  'verified',
  'plan',
  'billingType',
  'attributes',
  'createdAt',
  'updatedAt',
  'lastLoginAt',
  'version',
] as const;

export type UserRow = Omit<Selectable<UsersTable>, 'usernameLower' | 'emailLower' | 'passwordHash'> & {
  hasPassword: number | boolean;
};

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    tenantId: r.tenantId,
    externalId: r.externalId,
    username: r.username,
    email: r.email,
    firstName: r.firstName,
    middleName: r.middleName,
    lastName: r.lastName,
    displayName: r.displayName,
    company: r.company,
    title: r.title,
    department: r.department,
    website: r.website,
    phoneHome: r.phoneHome,
    phoneOffice: r.phoneOffice,
    phoneMobile: r.phoneMobile,
    phoneTollFree: r.phoneTollFree,
    phoneOther: r.phoneOther,
    pager: r.pager,
    fax: r.fax,
    gender: r.gender as Gender | null,
    active: Boolean(r.active),
    verified: Boolean(r.verified),
    plan: r.plan,
    billingType: r.billingType,
    attributes: typeof r.attributes === 'string' ? (JSON.parse(r.attributes) as Attributes) : r.attributes,
    hasPassword: Boolean(r.hasPassword),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    lastLoginAt: r.lastLoginAt === null ? null : new Date(r.lastLoginAt),
    version: r.version,
  };
}

/** Values → columns, deriving the folded username/email the unique indexes are built on. */
export function toColumns(v: UserChanges): Record<string, unknown> {
  const out: Record<string, unknown> = { ...v };
  if ('username' in v) out.usernameLower = v.username == null ? null : v.username.toLowerCase();
  if ('email' in v) out.emailLower = v.email == null ? null : v.email.toLowerCase();
  if ('attributes' in v) out.attributes = JSON.stringify(v.attributes ?? {});
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
