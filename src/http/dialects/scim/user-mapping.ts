import type { UserGroupRef } from '../../../domain/group.ts';
import type { Attributes, User, UserInput } from '../../../domain/user.ts';
import { emailsOf, phoneNumbersOf } from '../../../domain/user-directory.ts';
import { COLLECTION_NAMES, DIRECTORY, type CollectionName, type Directory } from '../../../domain/user-fields.ts';
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

/** A user's collections as SCIM shows them: emails and phoneNumbers fall back on the core fields. */
function collections(u: User): Partial<Record<CollectionName, Record<string, unknown>[]>> {
  const out: Partial<Record<CollectionName, Record<string, unknown>[]>> = {};
  for (const c of COLLECTION_NAMES) {
    const list = c === 'emails' ? emailsOf(u) : c === 'phoneNumbers' ? phoneNumbersOf(u) : u.directory[c];
    if (list?.length) out[c] = list as Record<string, unknown>[];
  }
  return out;
}

/** The core user as a SCIM User resource. `groups` is omitted when not loaded. */
export function toScimUser(u: User, base: string, groups?: UserGroupRef[]): ScimDoc {
  const a = u.attributes;
  const d = u.directory;
  const formatted = d.nameFormatted ?? [u.firstName, u.middleName, u.lastName].filter((x) => x).join(' ');
  const managerId = attrText(a, MANAGER_ATTRIBUTE);
  const enterprise = compact({
    employeeNumber: attrText(a, ENTERPRISE_CUSTOM.employeeNumber),
    costCenter: attrText(a, ENTERPRISE_CUSTOM.costCenter),
    organization: u.company,
    division: attrText(a, ENTERPRISE_CUSTOM.division),
    department: u.department,
    manager:
      managerId || d.managerDisplayName
        ? compact({
            value: managerId,
            $ref: managerId ? `${base}/Users/${managerId}` : null,
            displayName: d.managerDisplayName,
          })
        : null,
  });
  const location = `${base}/Users/${u.id}`;
  return {
    schemas: Object.keys(enterprise).length ? [URN.user, URN.enterprise] : [URN.user],
    id: String(u.id),
    ...compact({
      externalId: u.externalId,
      userName: scimUserName(u),
      name: compact({
        formatted,
        familyName: u.lastName,
        givenName: u.firstName,
        middleName: u.middleName,
        honorificPrefix: d.honorificPrefix,
        honorificSuffix: d.honorificSuffix,
      }),
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
    ...collections(u),
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
 * A multi-valued attribute as sent → the collection's entries: the declared sub-attributes, primary
 * as a boolean ("True" accepted), values as sent (an email that is no address is kept too).
 */
function entriesOf(c: CollectionName, v: unknown): Record<string, unknown>[] {
  const subs = DIRECTORY.collections[c] as Record<string, 'text' | 'flag'>;
  return list(v).map((e) => {
    const out: Record<string, unknown> = {};
    for (const [k, kind] of Object.entries(subs)) {
      const x = kind === 'flag' ? optBoolean(e[k], `${c}.${k}`) : optString(e[k], `${c}.${k}`);
      if (x !== null && x !== '') out[k] = x;
    }
    return out;
  });
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The directory a SCIM User describes. A collection equal to what a user without a stored one
 * already shows (its core email or phones) is left out: resending a resource changes nothing.
 */
function directoryOf(doc: ScimDoc, name: Record<string, unknown>, ent: Record<string, unknown>, current?: User) {
  const d: Record<string, unknown> = {};
  for (const c of COLLECTION_NAMES) {
    const entries = entriesOf(c, doc[c]);
    const derived =
      current && current.directory[c] === undefined
        ? c === 'emails'
          ? emailsOf(current)
          : c === 'phoneNumbers'
            ? phoneNumbersOf(current)
            : []
        : undefined;
    if (derived && sameJson(derived, entries)) continue;
    d[c] = entries;
  }
  d.nameFormatted = optString(name.formatted, 'name.formatted');
  d.honorificPrefix = optString(name.honorificPrefix, 'name.honorificPrefix');
  d.honorificSuffix = optString(name.honorificSuffix, 'name.honorificSuffix');
  // The formatted name a user without one shows is derived from the parts: sent back unchanged, it
  // stays derived (and follows the parts when another dialect changes them).
  const parts = [name.givenName, name.middleName, name.familyName].filter((x) => x).join(' ');
  if (d.nameFormatted === parts && current?.directory.nameFormatted === undefined) d.nameFormatted = null;
  d.managerDisplayName = isObject(ent.manager) ? optString(ent.manager.displayName, 'manager.displayName') : null;
  if (current?.directory.extensions) d.extensions = current.directory.extensions;
  return d as Directory;
}

function managerId(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (isObject(v)) return optString(v.value, 'manager.value') || null;
  return optString(v, 'manager');
}

/**
 * A canonical SCIM User → the complete set of core fields SCIM owns (absent → cleared), so POST,
 * PUT and the result of a PATCH all write the same way. Fields SCIM does not show (gender, plan,
 * phoneTollFree…) and custom attributes it does not own are left as `current` has them. The
 * core email and phone fields follow the emails and phoneNumbers sent (UserService keeps them in step).
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
    directory: directoryOf(doc, name, ent, current),
    company: optString(ent.organization, 'organization'),
    department: optString(ent.department, 'department'),
    active: active ?? true,
    attributes,
    // A placeholder password of "" (sent by some IdPs) means "none given", not "clear it".
    ...(password ? { password } : {}),
  };
}
