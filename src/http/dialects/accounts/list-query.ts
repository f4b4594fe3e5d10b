import { invalid } from '../../../domain/errors.ts';
import { ATTRIBUTE_KEY } from '../../../domain/user.ts';
import {
  parseSort,
  type FieldRef,
  type FilterValue,
  type UserCondition,
  type UserQuery,
} from '../../../domain/user-query.ts';
import { ACCOUNT_FIELDS } from '../../../services/accounts-service.ts';
import type { AccountListQuery } from './schemas.ts';

const DEFAULT_FIELDS = new Set<string>(['id', 'gender', ...ACCOUNT_FIELDS]);

/** An Accounts attribute name → the core field: default fields by name, anything else a custom attribute. */
export function fieldOf(name: string): FieldRef {
  if (DEFAULT_FIELDS.has(name)) return name as FieldRef;
  if (name === 'password') throw invalid('query.invalid_field', 'password cannot be sorted or filtered on', name);
  if (!ATTRIBUTE_KEY.test(name))
    throw invalid('query.invalid_field', `"${name}" is not an attribute name (^[A-Za-z][A-Za-z0-9_]{0,63}$)`, name);
  return `attr.${name}`;
}

const BRACKET = /^attributes\[(.*)\]$/;

function condition(name: string, raw: unknown): UserCondition {
  const field = fieldOf(name);
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) throw invalid('query.invalid_filter', `attributes[${name}] needs a value`, name);
  const items = values.map((v): UserCondition => {
    if (v !== null && typeof v === 'object')
      throw invalid('query.invalid_filter', `attributes[${name}] must be a plain value, not an object or array`, name);
    // An account shows an unset gender as "unknown", so filtering on "unknown" finds those too.
    if (field === 'gender' && (v === 'unknown' || v === null)) {
      return {
        op: 'or',
        items: [
          { op: 'eq', field, value: 'unknown' },
          { op: 'eq', field, value: null },
        ],
      };
    }
    return { op: 'eq', field, value: v as FilterValue };
  });
  return items.length === 1 ? items[0] : { op: 'or', items };
}

/** Filters from `attributes[lastName]=Smith` (repeatable: any of) and from `attributes={"lastName":"Smith"}`. */
export function filtersOf(qs: Record<string, unknown>): UserCondition[] {
  const pairs: [string, unknown][] = [];
  if (typeof qs.attributes === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(qs.attributes);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw invalid(
        'query.invalid_filter',
        'attributes must be a JSON object such as {"lastName":"Smith"}, or use attributes[lastName]=Smith',
        'attributes',
      );
    }
    pairs.push(...Object.entries(parsed));
  }
  for (const [key, value] of Object.entries(qs)) {
    const m = BRACKET.exec(key);
    if (m) pairs.push([m[1], value]);
  }
  return pairs.map(([name, value]) => condition(name, value));
}

/** The page asked for (the schema fills in the defaults; repeated here for the type). */
export const pageOf = (qs: AccountListQuery) => ({ page: qs.page ?? 1, limit: qs.limit ?? 20 });

/** page/limit/sort/attributes → a core query: offset pages with the total, ties broken by id. */
export function accountQuery(qs: AccountListQuery & Record<string, unknown>): UserQuery {
  const filters = filtersOf(qs);
  const { page, limit } = pageOf(qs);
  return {
    limit,
    offset: (page - 1) * limit,
    withTotal: true,
    sort: parseSort(qs.sort, fieldOf),
    where: filters.length ? { op: 'and', items: filters } : undefined,
  };
}

/** Keeps a query string readable: brackets and commas stay as written (`sort=-lastName,firstName`). */
const encode = (s: string) => encodeURIComponent(s).replace(/%5B/gi, '[').replace(/%5D/gi, ']').replace(/%2C/gi, ',');

/** `?page=N&limit=L` followed by every other parameter of the request, in its order. */
function pageLink(rawQuery: string, page: number, limit: number): string {
  const rest = [...new URLSearchParams(rawQuery)].filter(([k]) => k !== 'page' && k !== 'limit');
  const params: [string, string][] = [['page', String(page)], ['limit', String(limit)], ...rest];
  return '?' + params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}

export interface Pagination {
  currentPage: number;
  perPage: number;
  count: number;
  totalPages: number;
  total: number;
  links: { next?: string; previous?: string };
}

/** The API's pagination object. Past the last page, `previous` points at the last page. */
export function pagination(rawQuery: string, page: number, limit: number, count: number, total: number): Pagination {
  const totalPages = Math.ceil(total / limit);
  const links: Pagination['links'] = {};
  if (page < totalPages) links.next = pageLink(rawQuery, page + 1, limit);
  if (page > 1) links.previous = pageLink(rawQuery, Math.min(page - 1, Math.max(totalPages, 1)), limit);
  return { currentPage: page, perPage: limit, count, totalPages, total, links };
}
