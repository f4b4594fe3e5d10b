import type { Manager } from '../../../domain/manager.ts';
import type { Tenant } from '../../../domain/tenant.ts';
import type { User, UserInput } from '../../../domain/user.ts';
import { parseFieldRef, parseSort, type UserCondition, type UserQuery } from '../../../domain/user-query.ts';
import type { Static } from '@sinclair/typebox';
import type { User as UserWireSchema, UserWrite } from './schemas.ts';

export const tenantWire = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  licenseCode: t.licenseCode,
  settings: t.settings,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export const managerWire = (m: Manager) => ({
  id: m.id,
  tenantId: m.tenantId,
  name: m.name,
  email: m.email,
  role: m.role,
  hasPassword: m.hasPassword,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

/**
 * Field by field (one object literal, a fixed shape: cheaper per list row than a spread). Typed by
 * the wire schema, which has a property per declared field: a new field fails to compile until here.
 */
export const userWire = (u: User): Static<typeof UserWireSchema> => ({
  id: u.id,
  tenantId: u.tenantId,
  externalId: u.externalId,
  username: u.username,
  email: u.email,
  firstName: u.firstName,
  middleName: u.middleName,
  lastName: u.lastName,
  displayName: u.displayName,
  company: u.company,
  title: u.title,
  department: u.department,
  website: u.website,
  phoneHome: u.phoneHome,
  phoneOffice: u.phoneOffice,
  phoneMobile: u.phoneMobile,
  phoneTollFree: u.phoneTollFree,
  phoneOther: u.phoneOther,
  pager: u.pager,
  fax: u.fax,
  gender: u.gender,
  active: u.active,
  verified: u.verified,
  plan: u.plan,
  billingType: u.billingType,
  attributes: u.attributes,
  directory: u.directory,
  hasPassword: u.hasPassword,
  createdAt: u.createdAt.toISOString(),
  updatedAt: u.updatedAt.toISOString(),
  lastLoginAt: u.lastLoginAt ? u.lastLoginAt.toISOString() : null,
});

/** The management API speaks core names, so the wire body is the core input as it stands. */
export const userInput = (body: UserWrite): UserInput => body as UserInput;

const LIST_PARAMS = new Set(['limit', 'cursor', 'sort', 'q', 'total']);

/** `?email=a@b&active=true&attr.plan=gold&sort=-lastName` → a core query. */
export function userQuery(qs: Record<string, string | number | undefined>): UserQuery {
  const filters: UserCondition[] = [];
  for (const [key, value] of Object.entries(qs)) {
    if (LIST_PARAMS.has(key) || value === undefined) continue;
    const field = parseFieldRef(key);
    filters.push({ op: 'eq', field, value: String(value) });
  }
  return {
    limit: Number(qs.limit ?? 50),
    cursor: qs.cursor as string | undefined,
    sort: parseSort(qs.sort as string | undefined),
    q: qs.q as string | undefined,
    withTotal: qs.total === 'exact',
    where: filters.length ? { op: 'and', items: filters } : undefined,
  };
}
