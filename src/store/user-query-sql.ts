import { sql, type RawBuilder } from 'kysely';
import { hasJsonKey, jsonText, nullsOrder, someElement, textMatch, type DbKind } from './database.ts';
import { invalid } from '../domain/errors.ts';
import { hasUnstorableText } from '../domain/text.ts';
import { ofKind } from '../domain/user-fields.ts';
import { isJsonRef, type FieldRef, type FilterValue, type SortKey, type UserCondition } from '../domain/user-query.ts';

const TIME_FIELDS = new Set(['createdAt', 'updatedAt', 'lastLoginAt']);
const BOOL_FIELDS = new Set<string>(ofKind('flag'));
const NUMBER_FIELDS = new Set(['id']);
/** Fields kept folded in their own column: case-insensitive equality uses the unique index. */
const FOLDED: Record<string, string> = { username: 'usernameLower', email: 'emailLower' };

/** The JSON element a `some` condition's `item.<sub>` fields read (set while compiling its body). */
let element: RawBuilder<unknown> | null = null;

export function columnOf(kind: DbKind, field: FieldRef): RawBuilder<unknown> {
  if (field.startsWith('attr.')) return jsonText(kind, sql.ref('attributes'), [field.slice(5)]);
  if (field.startsWith('dir.')) return jsonText(kind, sql.ref('directory'), field.slice(4).split('.'));
  if (field.startsWith('item.')) {
    if (!element) throw new Error(`${field} outside a collection condition`);
    return jsonText(kind, element, [field.slice(5)]);
  }
  return sql.ref(field);
}

/** Converts a wire value to the stored representation of a field (times → epoch ms, booleans → 0/1). */
export function storedValue(field: FieldRef, value: FilterValue): string | number | null {
  if (value === null) return null;
  if (isJsonRef(field)) return typeof value === 'string' ? value : String(value);
  if (BOOL_FIELDS.has(field)) {
    if (value === true || value === 'true' || value === 1 || value === '1') return 1;
    if (value === false || value === 'false' || value === 0 || value === '0') return 0;
    throw invalid('query.invalid_value', `${field} takes true or false`, field);
  }
  if (TIME_FIELDS.has(field)) {
    const ms = typeof value === 'number' ? value : Date.parse(String(value));
    if (!Number.isFinite(ms)) throw invalid('query.invalid_value', `${field} takes an ISO 8601 date-time`, field);
    return ms;
  }
  if (NUMBER_FIELDS.has(field)) {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw invalid('query.invalid_value', `${field} takes an integer`, field);
    return n;
  }
  return typeof value === 'string' ? value : String(value);
}

const CMP: Record<string, string> = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' };

/**
 * What a value becomes in the SQL: itself (a bound parameter), or a stand-in that a list query
 * compiled once per shape replaces later (user-store.ts). Each value passes through it exactly once,
 * in an order that depends only on the query's shape.
 */
export type Bind = (value: unknown) => unknown;
const asIs: Bind = (v) => v;

/** Compiles a condition to SQL. Every value is a bound parameter; field names come from a closed list. */
export function conditionSql(kind: DbKind, c: UserCondition, bind: Bind = asIs): RawBuilder<boolean> {
  switch (c.op) {
    case 'and':
    case 'or': {
      if (c.items.length === 0) return c.op === 'and' ? sql<boolean>`1 = 1` : sql<boolean>`1 = 0`;
      const parts = c.items.map((i) => conditionSql(kind, i, bind));
      return sql<boolean>`(${sql.join(parts, sql.raw(c.op === 'and' ? ' and ' : ' or '))})`;
    }
    case 'not':
      return sql<boolean>`(not coalesce(${conditionSql(kind, c.item, bind)}, false))`;
    case 'has':
      return hasJsonKey(kind, 'directory', c.collection);
    case 'some':
      return someElement(kind, 'directory', c.collection, (el) => {
        const outer = element;
        element = el;
        try {
          return conditionSql(kind, c.where, bind);
        } finally {
          element = outer;
        }
      });
    case 'pr': {
      const col = columnOf(kind, c.field);
      return sql<boolean>`(${col} is not null${isJsonRef(c.field) || TIME_FIELDS.has(c.field) || BOOL_FIELDS.has(c.field) || NUMBER_FIELDS.has(c.field) ? sql`` : sql` and ${col} <> ''`})`;
    }
    default: {
      const v = storedValue(c.field, c.value);
      const folded = !isJsonRef(c.field) ? FOLDED[c.field] : undefined;
      const ci = typeof v === 'string' && (c.ci || folded !== undefined);
      let col: RawBuilder<unknown> = folded ? sql.ref(folded) : columnOf(kind, c.field);
      let val: unknown = v;
      if (ci && typeof v === 'string') {
        if (!folded) col = sql`lower(${col})`;
        val = v.toLowerCase();
      }
      if (c.op === 'co' || c.op === 'sw' || c.op === 'ew') {
        if (val === null) return sql<boolean>`1 = 0`;
        return sql<boolean>`(${col} is not null and ${textMatch(kind, c.op, col, String(val), bind(String(val)))})`;
      }
      if (val === null) {
        if (c.op === 'eq') return sql<boolean>`(${col} is null)`;
        if (c.op === 'ne') return sql<boolean>`(${col} is not null)`;
        return sql<boolean>`1 = 0`;
      }
      if (c.op === 'ne') return sql<boolean>`(${col} is null or ${col} <> ${bind(val)})`;
      return sql<boolean>`(${col} ${sql.raw(CMP[c.op])} ${bind(val)})`;
    }
  }
}

/** Case-insensitive substring search over username, email and names. */
export function searchSql(q: string, bind: Bind = asIs): RawBuilder<boolean> {
  const pattern = bind('%' + q.toLowerCase().replace(/[\\%_]/g, (m) => '\\' + m) + '%');
  const cols = ['usernameLower', 'emailLower'].map((c) => sql`${sql.ref(c)} like ${pattern} escape '\\'`);
  for (const c of ['firstName', 'lastName', 'displayName'])
    cols.push(sql`lower(${sql.ref(c)}) like ${pattern} escape '\\'`);
  return sql<boolean>`(${sql.join(cols, sql.raw(' or '))})`;
}

export type CursorValues = (string | number | null)[];

export function encodeCursor(values: CursorValues): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Epoch ms / ids as stored: integers a bigint column holds. */
const isStoredInteger = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x);

/** Whether a cursor value has the type the sort key's column holds (NULL only where the column allows it). */
function fitsKey(key: SortKey, x: unknown): boolean {
  if (x === null) return nullable(key.field);
  if (isJsonRef(key.field)) return typeof x === 'string' && !hasUnstorableText(x);
  if (NUMBER_FIELDS.has(key.field) || TIME_FIELDS.has(key.field)) return isStoredInteger(x);
  if (BOOL_FIELDS.has(key.field)) return x === 0 || x === 1;
  return typeof x === 'string' && !hasUnstorableText(x);
}

/** A cursor back into its values, each checked against the sort key it claims (a tampered one is a 400, never a database error). */
export function decodeCursor(cursor: string, keys: SortKey[]): CursorValues {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === keys.length && v.every((x, i) => fitsKey(keys[i], x))) {
      return v as CursorValues;
    }
  } catch {
    // fall through
  }
  throw invalid('query.invalid_cursor', 'cursor is not one this list handed out (or the sort changed)', 'cursor');
}

/** The sort keys as used in SQL: the requested ones, then id (in the last key's direction) as tie-breaker. */
export function effectiveSort(sort: SortKey[]): SortKey[] {
  const keys = sort.filter((k) => k.field !== 'id');
  const idKey = sort.find((k) => k.field === 'id');
  return [...keys, { field: 'id', desc: idKey ? idKey.desc : keys.length ? keys[keys.length - 1].desc : false }];
}

/** Never NULL: ordered without a NULLS clause, so PostgreSQL's default-ordered indexes (id, created_at) match. */
const NOT_NULL = new Set<string>(['id', ...ofKind('flag'), ...ofKind('label'), 'createdAt', 'updatedAt']);

export function orderSql(kind: DbKind, keys: SortKey[]): RawBuilder<unknown>[] {
  return keys.map((k) =>
    !isJsonRef(k.field) && NOT_NULL.has(k.field)
      ? sql`${columnOf(kind, k.field)} ${sql.raw(k.desc ? 'desc' : 'asc')}`
      : sql`${columnOf(kind, k.field)} ${nullsOrder(k.desc)}`,
  );
}

const nullable = (field: FieldRef) => isJsonRef(field) || !NOT_NULL.has(field);

/**
 * The rows after a cursor, as conditions an index can serve as a range (keyset pages that do not
 * slow down with depth). Rows after the cursor within the first key's group or beyond it are `head`;
 * a bare OR over the keys (afterCursorSql) gives neither database a range to seek to, so each
 * deep page scanned every row before the cursor (PostgreSQL's generic plan: 10 ms at depth 5,000,
 * with a heap fetch per skipped row). The first key is bounded on the side the page walks to
 * (`k0 <= v0` descending, `k0 >= v0` ascending). NULL is the smallest value, so the NULLs of a
 * descending sort (or the non-NULLs after a NULL cursor, ascending) lie past that range: they are
 * `tail`, read by a second query only when the head runs out.
 */
export function keysetSql(
  kind: DbKind,
  keys: SortKey[],
  values: CursorValues,
  bind: Bind = asIs,
): { head: RawBuilder<boolean>; tail: RawBuilder<boolean> | null } {
  const [k0, ...restKeys] = keys;
  const [v0, ...restValues] = values;
  const col = columnOf(kind, k0.field);
  const b0 = v0 === null ? null : bind(v0);
  const rest = restKeys.length ? afterCursorSql(kind, restKeys, restValues, bind) : sql<boolean>`1 = 0`;
  if (v0 === null) {
    // Within the NULL group; ascending, every non-NULL value comes after it.
    const head = sql<boolean>`(${col} is null and ${rest})`;
    return { head, tail: k0.desc ? null : sql<boolean>`(${col} is not null)` };
  }
  const [bound, strict] = k0.desc ? ['<=', '<'] : ['>=', '>'];
  const head = sql<boolean>`(${col} ${sql.raw(bound)} ${b0} and (${col} ${sql.raw(strict)} ${b0} or (${col} = ${b0} and ${rest})))`;
  return { head, tail: k0.desc && nullable(k0.field) ? sql<boolean>`(${col} is null)` : null };
}

/**
 * Rows strictly after the cursor row in the given order, with NULL as the smallest value.
 * Expanded as OR over "equal on the first i keys, strictly after on key i".
 */
export function afterCursorSql(
  kind: DbKind,
  keys: SortKey[],
  cursor: CursorValues,
  bind: Bind = asIs,
): RawBuilder<boolean> {
  // Each value bound once, in key order (it appears in several of the ORs).
  const values = cursor.map((v) => (v === null ? null : bind(v)));
  const ors: RawBuilder<boolean>[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts: RawBuilder<unknown>[] = [];
    for (let j = 0; j < i; j++) {
      const col = columnOf(kind, keys[j].field);
      parts.push(values[j] === null ? sql`${col} is null` : sql`${col} = ${values[j]}`);
    }
    const col = columnOf(kind, keys[i].field);
    const v = values[i];
    let after: RawBuilder<unknown> | null;
    if (keys[i].desc)
      after = v === null ? null : nullable(keys[i].field) ? sql`(${col} < ${v} or ${col} is null)` : sql`${col} < ${v}`;
    else after = v === null ? sql`${col} is not null` : sql`${col} > ${v}`;
    if (after === null) continue;
    parts.push(after);
    ors.push(sql<boolean>`(${sql.join(parts, sql.raw(' and '))})`);
  }
  if (ors.length === 0) return sql<boolean>`1 = 0`;
  return sql<boolean>`(${sql.join(ors, sql.raw(' or '))})`;
}
