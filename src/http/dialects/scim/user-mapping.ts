import type { UserGroupRef } from '../../../domain/group.ts';
import { isEmailAddress, normalizeIdentity, type Attributes, type User, type UserInput } from '../../../domain/user.ts';
import { etagOf } from '../../credentials.ts';
import { URN } from './constants.ts';
import { isObject, optBoolean, optString, type ScimDoc } from './document.ts';
import { scimInvalid } from './errors.ts';

/**
 * SCIM attributes kept as custom attributes of the core user (`attributes.<name>`), so every other
 * dialect sees them too. Writes through SCIM own exactly these keys; other custom attributes are kept.
 */
export const SCIM_CUSTOM = {
  nickName: 'nickName',
  userType: 'userType',
  preferredLanguage: 'preferredLanguage',
  locale: 'locale',
  timezone: 'timezone',
} as const;
export const ENTERPRISE_CUSTOM = {
  employeeNumber: 'employeeNumber',
  costCenter: 'costCenter',
  division: 'division',
} as const;
/** enterprise manager.value is stored as this custom attribute (the manager's user id, as a string). */
export const MANAGER_ATTRIBUTE = 'managerId';
const OWNED_ATTRIBUTES = [...Object.values(SCIM_CUSTOM), ...Object.values(ENTERPRISE_CUSTOM), MANAGER_ATTRIBUTE];

/** phoneNumbers.type ↔ core field; any other type is stored as phoneOther. */
export const PHONE_FIELDS = {
  work: 'phoneOffice',
  home: 'phoneHome',
  mobile: 'phoneMobile',
  fax: 'fax',
  pager: 'pager',
  other: 'phoneOther',
} as const;
type PhoneType = keyof typeof PHONE_FIELDS;

/** Drops null, undefined, empty strings and empty objects (RFC 7643 §2.5: unassigned ≡ absent). */
function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined || v === '') continue;
    if (isObject(v) && Object.keys(v).length === 0) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

const attrText = (a: Attributes, k: string): string | null => {
  const v = a[k];
  return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
};

/**
 * SCIM's userName of a user: its username; for a user made through another dialect without one, its
 * email, else its id (as a string). Writes keep a derived userName derived (see fromScimUser).
 */
export const scimUserName = (u: Pick<User, 'id' | 'username' | 'email'>): string =>
  u.username ?? u.email ?? String(u.id);

/** The core user as a SCIM User resource. `groups` is omitted when not loaded. */
export function toScimUser(u: User, base: string, groups?: UserGroupRef[]): ScimDoc {
  const a = u.attributes;
  const formatted = [u.firstName, u.middleName, u.lastName].filter((x) => x).join(' ');
  const enterprise = compact({
    employeeNumber: attrText(a, ENTERPRISE_CUSTOM.employeeNumber),
    costCenter: attrText(a, ENTERPRISE_CUSTOM.costCenter),
    organization: u.company,
    division: attrText(a, ENTERPRISE_CUSTOM.division),
    department: u.department,
    manager: attrText(a, MANAGER_ATTRIBUTE)
      ? { value: attrText(a, MANAGER_ATTRIBUTE), $ref: `${base}/Users/${attrText(a, MANAGER_ATTRIBUTE)}` }
      : null,
  });
  const phones = (Object.entries(PHONE_FIELDS) as [PhoneType, keyof User][])
    .filter(([, f]) => u[f])
    .map(([type, f]) => ({ value: u[f], type }));
  const location = `${base}/Users/${u.id}`;
  return {
    schemas: Object.keys(enterprise).length ? [URN.user, URN.enterprise] : [URN.user],
    id: String(u.id),
    ...compact({
      externalId: u.externalId,
      userName: scimUserName(u),
      name: compact({ formatted, familyName: u.lastName, givenName: u.firstName, middleName: u.middleName }),
      displayName: u.displayName,
      nickName: attrText(a, SCIM_CUSTOM.nickName),
      profileUrl: u.website,
      title: u.title,
      userType: attrText(a, SCIM_CUSTOM.userType),
      preferredLanguage: attrText(a, SCIM_CUSTOM.preferredLanguage),
      locale: attrText(a, SCIM_CUSTOM.locale),
      timezone: attrText(a, SCIM_CUSTOM.timezone),
    }),
    active: u.active,
    ...(u.email ? { emails: [{ value: u.email, type: 'work', primary: true }] } : {}),
    ...(phones.length ? { phoneNumbers: phones } : {}),
    ...(groups
      ? {
          groups: groups.map((g) => ({
            value: String(g.id),
            display: g.displayName,
            $ref: `${base}/Groups/${g.id}`,
            type: 'direct',
          })),
        }
      : {}),
    ...(Object.keys(enterprise).length ? { [URN.enterprise]: enterprise } : {}),
    meta: {
      resourceType: 'User',
      created: u.createdAt.toISOString(),
      lastModified: u.updatedAt.toISOString(),
      location,
      version: etagOf(u.version),
    },
  };
}

const list = (v: unknown): Record<string, unknown>[] =>
  (Array.isArray(v) ? v.filter(isObject) : []) as Record<string, unknown>[];

/**
 * The one email Roster stores: among the entries holding a valid address, the primary, else the
 * "work" one, else the first. Entries that are no address (some directories hold such values) are
 * not an error; when none is valid the core email is empty.
 */
function pickEmail(v: unknown): string | null {
  const emails = list(v).filter((e) => typeof e.value === 'string' && isEmailAddress(normalizeIdentity(e.value)));
  const primary = emails.find((e) => optBoolean(e.primary, 'emails.primary') === true);
  const work = emails.find((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work');
  const chosen = primary ?? work ?? emails[0];
  return chosen ? (chosen.value as string) : null;
}

function phoneInput(v: unknown): Partial<Record<(typeof PHONE_FIELDS)[PhoneType], string | null>> {
  const out: Partial<Record<(typeof PHONE_FIELDS)[PhoneType], string | null>> = {};
  for (const f of Object.values(PHONE_FIELDS)) out[f] = null;
  for (const p of list(v)) {
    const value = optString(p.value, 'phoneNumbers.value');
    if (!value) continue;
    const type = (typeof p.type === 'string' ? p.type.toLowerCase() : 'other') as PhoneType;
    const f = PHONE_FIELDS[type] ?? PHONE_FIELDS.other;
    if (out[f] === null) out[f] = value;
  }
  return out;
}

function managerId(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (isObject(v)) return optString(v.value, 'manager.value') || null;
  return optString(v, 'manager');
}

/**
 * A canonical SCIM User → the complete set of core fields SCIM owns (absent → cleared), so POST,
 * PUT and the result of a PATCH all write the same way. Fields SCIM does not show (gender, plan,
 * phoneTollFree…) and custom attributes it does not own are left as `current` has them.
 */
export function fromScimUser(doc: ScimDoc, current?: User): UserInput {
  const userName = optString(doc.userName, 'userName');
  // A user without a username shows a derived userName: sent back unchanged (a PATCH of `active`, a
  // PUT echoing the resource) or not at all, it stays derived rather than becoming the username.
  const derived = current && current.username === null;
  const keepDerived = derived && (!userName || userName.toLowerCase() === scimUserName(current).toLowerCase());
  if (!keepDerived && (!userName || userName.trim() === '')) throw scimInvalid('invalidValue', 'userName is required');
  const name = isObject(doc.name) ? doc.name : {};
  const ent = isObject(doc[URN.enterprise]) ? (doc[URN.enterprise] as Record<string, unknown>) : {};

  const attributes: Attributes = { ...current?.attributes };
  for (const k of OWNED_ATTRIBUTES) delete attributes[k];
  const setAttr = (k: string, v: unknown, label: string) => {
    const s = optString(v, label);
    if (s !== null && s !== '') attributes[k] = s;
  };
  for (const [scim, key] of Object.entries(SCIM_CUSTOM)) setAttr(key, doc[scim], scim);
  for (const [scim, key] of Object.entries(ENTERPRISE_CUSTOM)) setAttr(key, ent[scim], scim);
  const manager = managerId(ent.manager);
  if (manager) attributes[MANAGER_ATTRIBUTE] = manager;

  const password = optString(doc.password, 'password');
  const active = optBoolean(doc.active, 'active');
  return {
    username: keepDerived ? null : userName,
    externalId: optString(doc.externalId, 'externalId'),
    firstName: optString(name.givenName, 'name.givenName'),
    middleName: optString(name.middleName, 'name.middleName'),
    lastName: optString(name.familyName, 'name.familyName'),
    displayName: optString(doc.displayName, 'displayName'),
    title: optString(doc.title, 'title'),
    website: optString(doc.profileUrl, 'profileUrl'),
    email: pickEmail(doc.emails),
    ...phoneInput(doc.phoneNumbers),
    company: optString(ent.organization, 'organization'),
    department: optString(ent.department, 'department'),
    active: active ?? true,
    attributes,
    // A placeholder password of "" (sent by some IdPs) means "none given", not "clear it".
    ...(password ? { password } : {}),
  };
}
