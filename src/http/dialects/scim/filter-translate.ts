import type { GroupCondition, GroupField } from '../../../domain/group.ts';
import type { FieldRef, UserCondition } from '../../../domain/user-query.ts';
import { URN } from './constants.ts';
import { scimInvalid } from './errors.ts';
import { compareValue, type AttrPath, type CompareOp, type Filter, type Literal } from './filter.ts';
import { SCIM_CUSTOM, ENTERPRISE_CUSTOM, MANAGER_ATTRIBUTE } from './user-mapping.ts';
import { PHONE_TYPES } from '../../../domain/user-directory.ts';
import { DIRECTORY, type CollectionName } from '../../../domain/user-fields.ts';

/** The shape UserCondition and GroupCondition share, over any field name. */
export type Cond =
  | { op: 'and' | 'or'; items: Cond[] }
  | { op: 'not'; item: Cond }
  | { op: CompareOp; field: string; value: Literal; ci?: boolean }
  | { op: 'pr'; field: string }
  | { op: 'some'; collection: CollectionName; where: Cond }
  | { op: 'has'; collection: CollectionName };

type FieldKind = 'string' | 'boolean' | 'dateTime' | 'id' | 'member';
interface FieldTarget {
  kind: 'field';
  field: string;
  type: FieldKind;
  caseExact: boolean;
}
interface ConstTarget {
  kind: 'const';
  value: Literal;
}
/** A multi-valued attribute as virtual entries over core fields: each sub-attribute is a field or a constant. */
interface MultiTarget {
  kind: 'multi';
  entries: Record<string, FieldTarget | ConstTarget>[];
}
/** The first of several fields that is present (a derived value: userName is username, else email, else id). */
interface FirstOfTarget {
  kind: 'firstOf';
  fields: FieldTarget[];
}
/**
 * A stored collection of the directory: its entries' sub-attributes are read as `item.<name>`.
 * `derived` are the virtual entries a user without the collection stored shows (emails, phones).
 */
interface CollectionTarget {
  kind: 'collection';
  collection: CollectionName;
  types: Record<string, FieldKind>;
  derived?: MultiTarget;
}
type Target = FieldTarget | ConstTarget | MultiTarget | FirstOfTarget | CollectionTarget;
type Resolver = (p: AttrPath) => Target | undefined;

const bad = (detail: string) => scimInvalid('invalidFilter', detail);
const show = (p: AttrPath) => `${p.schema ? p.schema + ':' : ''}${p.attr}${p.sub ? '.' + p.sub : ''}`;

/** Partial results: a condition, or a constant when the filter decides without the database. */
type Part = Cond | boolean;
/** Chains of one operator stay flat (`a and b and c` is one node): long filters keep a shallow SQL tree. */
const items = (op: 'and' | 'or', c: Cond): Cond[] => (c.op === op ? (c as { items: Cond[] }).items : [c]);
const and = (a: Part, b: Part): Part =>
  a === false || b === false
    ? false
    : a === true
      ? b
      : b === true
        ? a
        : { op: 'and', items: [...items('and', a), ...items('and', b)] };
const or = (a: Part, b: Part): Part =>
  a === true || b === true
    ? true
    : a === false
      ? b
      : b === false
        ? a
        : { op: 'or', items: [...items('or', a), ...items('or', b)] };
const not = (a: Part): Part => (typeof a === 'boolean' ? !a : { op: 'not', item: a });
const anyOf = (parts: Part[]): Part => parts.reduce<Part>((acc, p) => or(acc, p), false);

function fieldCompare(t: FieldTarget, op: CompareOp, value: Literal, label: string): Part {
  switch (t.type) {
    case 'boolean': {
      const b = typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
      if (typeof b !== 'boolean' || (op !== 'eq' && op !== 'ne'))
        throw bad(`${label} takes eq or ne with true or false`);
      return { op, field: t.field, value: b };
    }
    case 'dateTime':
      if (op === 'co' || op === 'sw' || op === 'ew') throw bad(`${label} is a date-time: use eq ne gt ge lt le`);
      if (typeof value !== 'string' || !Number.isFinite(Date.parse(value)))
        throw bad(`${label} takes an ISO 8601 date-time string`);
      return { op, field: t.field, value };
    case 'id':
    case 'member': {
      const s = value === null ? '' : String(value);
      if (!/^\d{1,15}$/.test(s)) {
        // Ids are opaque strings to the client: one that is not ours matches nothing.
        if (op === 'eq') return false;
        if (op === 'ne') return true;
        if (t.type === 'member' || op === 'co' || op === 'sw' || op === 'ew') throw bad(`${label} takes eq or ne`);
        throw bad(`${label} compares with an id`);
      }
      if (t.type === 'member' && op !== 'eq' && op !== 'ne') throw bad(`${label} takes eq or ne`);
      if (t.type === 'member' && op === 'ne')
        return { op: 'not', item: { op: 'eq', field: t.field, value: Number(s) } };
      if (op === 'co' || op === 'sw' || op === 'ew') throw bad(`${label} takes eq ne gt ge lt le`);
      return { op, field: t.field, value: Number(s) };
    }
    default:
      if (typeof value === 'boolean') throw bad(`${label} is a string, not a boolean`);
      return { op, field: t.field, value: value === null ? null : String(value), ...(t.caseExact ? {} : { ci: true }) };
  }
}

function targetCompare(t: FieldTarget | ConstTarget, op: CompareOp | 'pr', value: Literal, label: string): Part {
  if (t.kind === 'const') {
    if (op === 'pr') return t.value !== null;
    return compareValue(op, t.value, value, false);
  }
  if (op === 'pr') return { op: 'pr', field: t.field };
  return fieldCompare(t, op, value, label);
}

/** An entry of a multi-valued attribute exists when its `value` does. */
const exists = (e: Record<string, FieldTarget | ConstTarget>): Part =>
  e.value ? targetCompare(e.value, 'pr', null, 'value') : true;

function subOf(e: Record<string, FieldTarget | ConstTarget>, sub: string, label: string): FieldTarget | ConstTarget {
  const key = Object.keys(e).find((k) => k.toLowerCase() === sub.toLowerCase());
  if (!key) throw bad(`${label} cannot be filtered on`);
  return e[key];
}

/** A filter inside `attr[...]`, for one entry: its paths name sub-attributes. */
function inEntry(f: Filter, e: Record<string, FieldTarget | ConstTarget>, attr: string): Part {
  switch (f.op) {
    case 'and':
      return and(inEntry(f.left, e, attr), inEntry(f.right, e, attr));
    case 'or':
      return or(inEntry(f.left, e, attr), inEntry(f.right, e, attr));
    case 'not':
      return not(inEntry(f.filter, e, attr));
    case 'valuePath':
      throw bad('value filters cannot be nested');
    default: {
      if (f.path.sub || f.path.schema) throw bad(`inside ${attr}[…] name sub-attributes alone (not ${show(f.path)})`);
      const t = subOf(e, f.path.attr, `${attr}.${f.path.attr}`);
      return targetCompare(t, f.op, f.op === 'pr' ? null : f.value, `${attr}.${f.path.attr}`);
    }
  }
}

/**
 * A comparison with the first present field: for each field, the ones before it are absent, it is
 * present and it compares. An operator a field cannot take as text (`sw` or `gt` on the id) matches
 * nothing through that field.
 */
function firstOfCompare(t: FirstOfTarget, op: CompareOp | 'pr', value: Literal, label: string): Part {
  const branches = t.fields.map((f, i): Part => {
    let cmp: Part;
    if (i > 0 && f.type === 'id' && op !== 'eq' && op !== 'ne' && op !== 'pr') cmp = false;
    else cmp = targetCompare(f, op, value, label);
    const present = op === 'pr' ? cmp : and(targetCompare(f, 'pr', null, label), cmp);
    const absentBefore = t.fields.slice(0, i).map((b) => not(targetCompare(b, 'pr', null, label)));
    return absentBefore.reduce<Part>((acc, x) => and(acc, x), present);
  });
  return anyOf(branches);
}

/** An entry of a stored collection as fields: each sub-attribute is `item.<name>`. */
const itemEntry = (t: CollectionTarget): Record<string, FieldTarget> =>
  Object.fromEntries(Object.entries(t.types).map(([k, type]) => [k, field(`item.${k}`, type)]));

/**
 * Some stored entry matches (`some`); for a collection a user may hold only as core fields, the
 * derived entries match when none is stored.
 */
function collectionCompare(
  t: CollectionTarget,
  onEntry: (e: Record<string, FieldTarget | ConstTarget>) => Part,
  onDerived: (m: MultiTarget) => Part,
): Part {
  const e = itemEntry(t);
  const matched = onEntry(e);
  const stored: Part =
    matched === false ? false : { op: 'some', collection: t.collection, where: finish(and(exists(e), matched)) };
  if (!t.derived) return stored;
  const has: Cond = { op: 'has', collection: t.collection };
  return or(and(has, stored), and(not(has), onDerived(t.derived)));
}

function translate(f: Filter, resolve: Resolver): Part {
  switch (f.op) {
    case 'and':
      return and(translate(f.left, resolve), translate(f.right, resolve));
    case 'or':
      return or(translate(f.left, resolve), translate(f.right, resolve));
    case 'not':
      return not(translate(f.filter, resolve));
    case 'valuePath': {
      const t = resolve(f.path);
      if (!t) throw bad(`"${show(f.path)}" is not an attribute that can be filtered`);
      if (t.kind === 'collection')
        return collectionCompare(
          t,
          (e) => inEntry(f.filter, e, f.path.attr),
          (m) => anyOf(m.entries.map((e) => and(exists(e), inEntry(f.filter, e, f.path.attr)))),
        );
      if (t.kind !== 'multi') throw bad(`"${show(f.path)}" is not multi-valued: a value filter […] does not apply`);
      return anyOf(t.entries.map((e) => and(exists(e), inEntry(f.filter, e, f.path.attr))));
    }
    default: {
      const t = resolve(f.path);
      if (!t) throw bad(`"${show(f.path)}" is not an attribute that can be filtered`);
      const value = f.op === 'pr' ? null : f.value;
      if (t.kind === 'firstOf') return firstOfCompare(t, f.op, value, show(f.path));
      if (t.kind === 'collection' && f.op === 'pr' && !f.path.sub)
        // `addresses pr`: some entry exists (an attribute without `value`, too).
        return collectionCompare(
          t,
          () => true,
          (m) => anyOf(m.entries.map(exists)),
        );
      const sub = f.path.sub ?? 'value';
      const inMulti = (m: MultiTarget) =>
        anyOf(
          m.entries.map((e) => and(exists(e), targetCompare(subOf(e, sub, show(f.path)), f.op, value, show(f.path)))),
        );
      if (t.kind === 'collection')
        return collectionCompare(
          t,
          (e) => targetCompare(subOf(e, sub, show(f.path)), f.op, value, show(f.path)),
          inMulti,
        );
      if (t.kind !== 'multi') return targetCompare(t, f.op, value, show(f.path));
      return inMulti(t);
    }
  }
}

function finish(p: Part): Cond {
  if (p === true) return { op: 'and', items: [] };
  if (p === false) return { op: 'or', items: [] };
  return p;
}

const field = (f: string, type: FieldKind = 'string', caseExact = false): FieldTarget => ({
  kind: 'field',
  field: f,
  type,
  caseExact,
});
const konst = (value: Literal): ConstTarget => ({ kind: 'const', value });

function metaTarget(sub: string | undefined, resourceType: string): Target | undefined {
  switch (sub?.toLowerCase()) {
    case 'created':
      return field('createdAt', 'dateTime');
    case 'lastmodified':
      return field('updatedAt', 'dateTime');
    case 'resourcetype':
      return konst(resourceType);
    default:
      return undefined;
  }
}

/** The directory's collections by their lower-cased SCIM names. */
const COLLECTIONS: Record<string, CollectionName> = Object.fromEntries(
  Object.keys(DIRECTORY.collections).map((c) => [c.toLowerCase(), c as CollectionName]),
);

const isSchema = (p: AttrPath, urn: string) => p.schema === undefined || p.schema.toLowerCase() === urn.toLowerCase();

/** SCIM User attribute paths → core user fields (see user-mapping.ts for the same mapping on writes). */
export const userTarget: Resolver = (p) => {
  const a = p.attr.toLowerCase();
  const s = p.sub?.toLowerCase();
  if (p.schema?.toLowerCase() === URN.enterprise.toLowerCase()) {
    if (s && a !== 'manager') return undefined;
    const ent: Record<string, Target> = {
      employeenumber: field(`attr.${ENTERPRISE_CUSTOM.employeeNumber}`),
      costcenter: field(`attr.${ENTERPRISE_CUSTOM.costCenter}`),
      division: field(`attr.${ENTERPRISE_CUSTOM.division}`),
      organization: field('company'),
      department: field('department'),
    };
    if (a === 'manager') {
      if (!s || s === 'value') return field(`attr.${MANAGER_ATTRIBUTE}`, 'string', true);
      return s === 'displayname' ? field('dir.managerDisplayName') : undefined;
    }
    return ent[a];
  }
  if (!isSchema(p, URN.user)) return undefined;
  if (a === 'meta') return metaTarget(p.sub, 'User');
  if (a === 'name') {
    const byName: Record<string, Target> = {
      givenname: field('firstName'),
      familyname: field('lastName'),
      middlename: field('middleName'),
      formatted: field('dir.nameFormatted'),
      honorificprefix: field('dir.honorificPrefix'),
      honorificsuffix: field('dir.honorificSuffix'),
    };
    return s ? byName[s] : undefined;
  }
  const coll = COLLECTIONS[a];
  if (coll) {
    const derived: MultiTarget | undefined =
      coll === 'emails'
        ? { kind: 'multi', entries: [{ value: field('email'), type: konst('work'), primary: konst(true) }] }
        : coll === 'phoneNumbers'
          ? {
              kind: 'multi',
              entries: Object.entries(PHONE_TYPES).map(([type, f]) => ({ value: field(f), type: konst(type) })),
            }
          : undefined;
    const types = Object.fromEntries(
      Object.entries(DIRECTORY.collections[coll]).map(([k, kind]) => [k, kind === 'flag' ? 'boolean' : 'string']),
    ) as Record<string, FieldKind>;
    return { kind: 'collection', collection: coll, types, ...(derived ? { derived } : {}) };
  }
  if (s) return undefined;
  const simple: Record<string, Target> = {
    id: field('id', 'id', true),
    externalid: field('externalId', 'string', true),
    // As scimUserName derives it for users made without a username.
    username: { kind: 'firstOf', fields: [field('username'), field('email'), field('id', 'id', true)] },
    displayname: field('displayName'),
    title: field('title'),
    profileurl: field('website'),
    active: field('active', 'boolean'),
  };
  for (const [scim, key] of Object.entries(SCIM_CUSTOM)) simple[scim.toLowerCase()] = field(`attr.${key}`);
  return simple[a];
};

/** SCIM Group attribute paths → group fields. */
export const groupTarget: Resolver = (p) => {
  if (!isSchema(p, URN.group)) return undefined;
  const a = p.attr.toLowerCase();
  if (a === 'meta') return metaTarget(p.sub, 'Group');
  if (a === 'members')
    return { kind: 'multi', entries: [{ value: field('member', 'member', true), type: konst('User') }] };
  if (p.sub) return undefined;
  const simple: Record<string, Target> = {
    id: field('id', 'id', true),
    externalid: field('externalId', 'string', true),
    displayname: field('displayName'),
  };
  return simple[a];
};

export const userCondition = (f: Filter): UserCondition => finish(translate(f, userTarget)) as UserCondition;
export const groupCondition = (f: Filter): GroupCondition => finish(translate(f, groupTarget)) as GroupCondition;

/** `sortBy` → the field to sort on (a multi-valued attribute sorts by its primary value). */
export function sortField(p: AttrPath, resolve: Resolver): string {
  const t = resolve(p);
  if (t?.kind === 'collection') {
    // The primary value of a collection: the core field a derived one shows; else the first entry's.
    if (t.derived) return sortField(p, () => t.derived);
    const sub = Object.keys(t.types).find((k) => k.toLowerCase() === (p.sub ?? 'value').toLowerCase());
    if (!sub) throw scimInvalid('invalidValue', `sortBy "${show(p)}" is not an attribute that can be sorted on`);
    return `dir.${t.collection}.0.${sub}`;
  }
  const f = t?.kind === 'multi' ? t.entries[0].value : t?.kind === 'firstOf' ? t.fields[0] : t;
  if (!f || f.kind !== 'field' || f.type === 'member')
    throw scimInvalid('invalidValue', `sortBy "${show(p)}" is not an attribute that can be sorted on`);
  return f.field;
}

export const userSortField = (p: AttrPath) => sortField(p, userTarget) as FieldRef;
export const groupSortField = (p: AttrPath) => sortField(p, groupTarget) as Exclude<GroupField, 'member'>;
