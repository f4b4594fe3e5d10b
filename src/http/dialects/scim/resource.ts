import { notFound } from '../../../domain/errors.ts';
import { DEFAULT_COUNT, MAX_RESULTS } from './constants.ts';
import type { ScimContext } from './context.ts';
import type { ScimDoc } from './document.ts';
import { scimInvalid } from './errors.ts';
import { parseFilter, splitAttrPath, type AttrPath, type Filter } from './filter.ts';
import { parseProjection, type Projection } from './projection.ts';
import type { ResourceSchema } from './resource-schemas.ts';

export interface Rendered {
  doc: ScimDoc;
  version: number;
}

export interface ListParams {
  filter?: Filter;
  sortBy?: AttrPath;
  descending: boolean;
  /** 1-based. */
  startIndex: number;
  count: number;
  projection: Projection;
}

export interface ListResult {
  total: number;
  docs: ScimDoc[];
}

/**
 * One SCIM resource type over the core. Routes and /Bulk both call these, so a Bulk operation
 * behaves exactly as the same single request would.
 */
export interface ResourceOps {
  schema: ResourceSchema;
  get(ctx: ScimContext, id: string, projection: Projection): Promise<Rendered>;
  list(ctx: ScimContext, params: ListParams): Promise<ListResult>;
  create(ctx: ScimContext, body: unknown): Promise<Rendered>;
  replace(ctx: ScimContext, id: string, body: unknown, expectedVersion?: number): Promise<Rendered>;
  patch(ctx: ScimContext, id: string, body: unknown, expectedVersion?: number): Promise<Rendered>;
  remove(ctx: ScimContext, id: string, expectedVersion?: number): Promise<void>;
}

/** SCIM ids are opaque strings; ours are integers, so anything else names no resource (404). */
export function parseId(id: string, what: 'user' | 'group'): number {
  if (!/^\d{1,15}$/.test(id)) throw notFound(`${what}.not_found`, `${what} ${id} not found`);
  return Number(id);
}

const MAX_START_INDEX = 1e15;

export interface RawListParams {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  startIndex?: number;
  count?: number;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

/** Query string or /.search body → list parameters (RFC 7644 §3.4.2: out-of-range values are clamped). */
export function listParams(raw: RawListParams): ListParams {
  const order = raw.sortOrder?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending')
    throw scimInvalid('invalidValue', 'sortOrder must be ascending or descending');
  let sortBy: AttrPath | undefined;
  if (raw.sortBy) {
    try {
      sortBy = splitAttrPath(raw.sortBy);
    } catch {
      throw scimInvalid('invalidValue', `sortBy "${raw.sortBy}" is not an attribute path`);
    }
  }
  if (raw.startIndex !== undefined && !Number.isInteger(raw.startIndex))
    throw scimInvalid('invalidValue', 'startIndex must be an integer');
  if (raw.count !== undefined && !Number.isInteger(raw.count))
    throw scimInvalid('invalidValue', 'count must be an integer');
  return {
    filter: raw.filter !== undefined && raw.filter !== '' ? parseFilter(raw.filter) : undefined,
    sortBy,
    descending: order === 'descending',
    // Past any real table, and within what both databases take as an OFFSET.
    startIndex: Math.min(MAX_START_INDEX, Math.max(1, raw.startIndex ?? 1)),
    count: Math.min(MAX_RESULTS, Math.max(0, raw.count ?? DEFAULT_COUNT)),
    projection: parseProjection(raw.attributes, raw.excludedAttributes),
  };
}
