import { invalid } from './errors.ts';
import { checkText } from './text.ts';
import type { CollectionName } from './user-fields.ts';
import { ATTRIBUTE_KEY, isSortableField, type SortableField } from './user.ts';

/**
 * A core field, a custom attribute (`attr.<name>`), a value of the directory (`dir.<path>`: a text,
 * `addresses.0.locality`, an extension's `extensions.<urn>.<name>`), or inside a `some` condition
 * a sub-attribute of the collection's entry (`item.<name>`).
 */
export type FieldRef = SortableField | `attr.${string}` | `dir.${string}` | `item.${string}`;

export type Comparison = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

/**
 * A filter over users, rich enough for SCIM's grammar and simple enough for `?email=…` filters.
 * String comparisons are case-sensitive unless `ci` is set (username and email always compare folded).
 */
export type UserCondition =
  | { op: 'and' | 'or'; items: UserCondition[] }
  | { op: 'not'; item: UserCondition }
  | { op: Comparison; field: FieldRef; value: FilterValue; ci?: boolean }
  | { op: 'pr'; field: FieldRef }
  /** Some entry of a directory collection matches `where` (whose fields are `item.<sub-attribute>`). */
  | { op: 'some'; collection: CollectionName; where: UserCondition }
  /** The user has the collection stored (else it is derived from core fields, see user-directory.ts). */
  | { op: 'has'; collection: CollectionName };

export interface SortKey {
  field: FieldRef;
  desc: boolean;
}

export interface UserQuery {
  where?: UserCondition;
  sort: SortKey[];
  limit: number;
  /** Keyset pagination (stable under concurrent inserts). */
  cursor?: string;
  /** Offset pagination, for dialects whose wire format is page/offset based. */
  offset?: number;
  /** Case-insensitive substring over username, email and names. */
  q?: string;
  withTotal?: boolean;
}

export interface UserPage<T> {
  items: T[];
  nextCursor: string | null;
  total?: number;
}

export const MAX_PAGE = 1000;

export function parseFieldRef(name: string): FieldRef {
  if (name.startsWith('attr.')) {
    const key = name.slice(5);
    if (!ATTRIBUTE_KEY.test(key))
      throw invalid('query.invalid_field', `"${name}" is not a valid custom attribute name`, name);
    return `attr.${key}`;
  }
  if (isSortableField(name)) return name;
  throw invalid('query.invalid_field', `"${name}" is not a user field that can be sorted or filtered`, name);
}

/** Parses `-lastName,firstName` into sort keys. */
export function parseSort(spec: string | undefined, resolve: (name: string) => FieldRef = parseFieldRef): SortKey[] {
  if (!spec) return [];
  const keys: SortKey[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const desc = part.startsWith('-');
    const name = part.replace(/^[-+]/, '');
    keys.push({ field: resolve(name), desc });
  }
  if (keys.length > 5) throw invalid('query.invalid_sort', 'sort takes at most 5 fields', 'sort');
  return keys;
}

export const isAttrRef = (f: FieldRef): f is `attr.${string}` => f.startsWith('attr.');
/** A value read from JSON (a custom attribute, the directory, a collection's entry): text, nullable. */
export const isJsonRef = (f: FieldRef): f is `attr.${string}` | `dir.${string}` | `item.${string}` =>
  f.startsWith('attr.') || f.startsWith('dir.') || f.startsWith('item.');

/** Refuses filter text no stored value can hold (NUL, unpaired surrogates), naming the field: a 400, never a database error. */
export function validateUserQuery(query: UserQuery): void {
  if (query.q !== undefined) checkText(query.q, 'q', 'query.invalid_value');
  const walk = (c: UserCondition): void => {
    if ('items' in c) c.items.forEach(walk);
    else if ('item' in c) walk(c.item);
    else if ('where' in c) walk(c.where);
    else if ('value' in c) checkText(c.value, c.field, 'query.invalid_value');
  };
  if (query.where) walk(query.where);
}
