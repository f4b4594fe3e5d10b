import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { liftComponents } from './components.ts';
import { TAG_GROUPS } from './tags.ts';
import { applyDocs } from './route-docs.ts';
import { SECURITY_SCHEMES } from './security.ts';

type Json = Record<string, unknown>;

/**
 * What a failure status means, for every response a route declares without words of its own. A
 * success has none here: each route says what its own success answers (docs() in route-docs.ts).
 */
export const RESPONSE_DESCRIPTIONS: Record<string, string> = {
  304: 'Not modified: the ETag sent in If-None-Match is still current',
  400: 'Invalid request: the error names the parameter or field at fault',
  401: 'No credentials, or credentials that are not valid',
  403: 'The credentials do not allow this (role or tenant)',
  404: 'Not found: no such resource, or not one these credentials can see',
  406: 'The Accept header rules out the only media type this API answers',
  409: 'Conflict: a unique value is taken, or the change conflicts with the current state',
  412: 'Precondition failed: If-Match does not name the current version',
  413: 'The request body is too large',
  415: 'Unsupported Content-Type',
  429: 'Too many requests: retry after the seconds in Retry-After',
  503: 'Unavailable: the database cannot be reached; retry after the seconds in Retry-After',
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every operation of a document, with its path and method. */
export function operationsOf(doc: Json): { path: string; method: string; op: Json }[] {
  const out: { path: string; method: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>))
    for (const method of METHODS) if (item[method]) out.push({ path, method, op: item[method] as Json });
  return out;
}

/**
 * The generated document, finished: named schemas lifted into components, a parameter the server
 * defaults marked optional (a client need not send it), and every response described.
 */
function finish(doc: Json): Json {
  liftComponents(doc);
  doc['x-tagGroups'] = TAG_GROUPS.map((g) => ({ name: g.name, tags: g.tags.map((t) => t.name) }));
  for (const { op } of operationsOf(doc)) {
    applyDocs(op);
    const filters = op[FILTERS] as Json | undefined;
    if (filters) {
      delete op[FILTERS];
      // One free-form parameter stands for "any other name=value": form style, exploded, as the server reads it.
      (op.parameters as Json[]).push({
        name: 'filters',
        in: 'query',
        required: false,
        style: 'form',
        explode: true,
        description: filters.description,
        schema: { type: 'object', additionalProperties: filters.schema },
        ...(filters.example ? { example: filters.example } : {}),
      });
    }
    for (const p of (op.parameters ?? []) as Json[]) {
      const schema = p.schema as Json | undefined;
      if (p.in !== 'path' && schema && schema.default !== undefined) p.required = false;
    }
    for (const [status, r] of Object.entries(op.responses as Record<string, Json>))
      if (r.description === 'Default Response' || !r.description)
        r.description = RESPONSE_DESCRIPTIONS[status] ?? `HTTP ${status}`;
  }
  return doc;
}

/** The operation key that carries a query schema's "any other parameter" (additionalProperties) to finish(). */
const FILTERS = 'x-query-filters';

/** A query schema that takes any other parameter (list filters) keeps it in the document: see finish(). */
function keepQueryFilters({ schema, url }: { schema: unknown; url: string }) {
  const qs = (schema as Json | undefined)?.querystring as Json | undefined;
  const extra = qs?.additionalProperties === true ? { type: 'string' } : qs?.additionalProperties;
  if (!qs || typeof extra !== 'object' || extra === null) return { schema: schema as Json, url };
  const filters = { description: qs.description, schema: extra, example: qs['x-filters-example'] };
  return { schema: { ...(schema as Json), [FILTERS]: filters }, url };
}

export const swaggerOptions = (version: string): FastifyDynamicSwaggerOptions => ({
  openapi: {
    openapi: '3.0.3',
    info: {
      title: 'Roster API',
      version,
      description:
        'Roster is a self-hosted user & account directory. This document describes its management API ' +
        '(`/admin/v1`), SCIM 2.0 (`/scim/v2`) and the compatible APIs it serves for existing clients. ' +
        'Authenticate with an API key: `Authorization: Bearer <key>` (or the `admin_api_key` header).',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      contact: { name: 'Roster maintainers' },
    },
    tags: TAG_GROUPS.flatMap((g) => g.tags),
    components: { securitySchemes: SECURITY_SCHEMES },
  },
  transform: keepQueryFilters as FastifyDynamicSwaggerOptions['transform'],
  transformObject: (d) =>
    'openapiObject' in d ? (finish(d.openapiObject as Json) as typeof d.openapiObject) : d.swaggerObject,
});

/** The document as served: `servers` names where this Roster is reached (the public URL, else the request's origin). */
export const withServers = (doc: Json, url: string) =>
  ({
    ...doc,
    servers: [{ url, description: 'This Roster' }],
  }) as unknown as { openapi: string; info: Json };
