import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '../../../domain/errors.ts';
import { etagOf } from '../../credentials.ts';
import { toProblem } from '../../errors.ts';
import { BULK_MAX_OPERATIONS, URN } from './constants.ts';
import { contextOf, type ScimContext } from './context.ts';
import { isObject } from './document.ts';
import { scimError, scimInvalid } from './errors.ts';
import type { ResourceOps } from './resource.ts';
import { BulkBody, BulkResponse, ScimErrorBody } from './wire.ts';
import { docs } from '../../openapi/route-docs.ts';

interface BulkOperation {
  method: string;
  bulkId?: string;
  version?: string;
  path: string;
  data?: unknown;
}

interface BulkResult {
  method: string;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: unknown;
}

const BULK_REF = /^bulkId:(.+)$/;

/** Every `bulkId:<id>` a operation refers to, in its path or anywhere in its data. */
function refsOf(op: BulkOperation): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      const m = BULK_REF.exec(v);
      if (m) out.add(m[1]);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) Object.values(v).forEach(walk);
  };
  walk(op.path.split('/')[2]);
  walk(op.data);
  return out;
}

function resolveRefs(v: unknown, ids: Map<string, string>): unknown {
  if (typeof v === 'string') {
    const m = BULK_REF.exec(v);
    if (!m) return v;
    const id = ids.get(m[1]);
    if (id === undefined)
      throw scimInvalid('invalidValue', `bulkId ${m[1]} does not name a resource created in this request`);
    return id;
  }
  if (Array.isArray(v)) return v.map((x) => resolveRefs(x, ids));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveRefs(x, ids)]));
  return v;
}

const versionOf = (v: string | undefined) => {
  if (v === undefined) return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(v);
  return m ? Number(m[1]) : -1;
};

async function run(
  ctx: ScimContext,
  resources: ResourceOps[],
  op: BulkOperation,
  ids: Map<string, string>,
): Promise<BulkResult> {
  const method = op.method.toUpperCase();
  const base: BulkResult = { method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), status: '' };
  const m = /^\/?([A-Za-z]+)(?:\/([^/]+))?\/?$/.exec(op.path);
  const ops = m ? resources.find((r) => r.schema.endpoint.slice(1).toLowerCase() === m[1].toLowerCase()) : undefined;
  if (!m || !ops) throw scimInvalid('invalidPath', `path ${op.path} is not /Users[/{id}] or /Groups[/{id}]`);
  const id = m[2] === undefined ? undefined : (resolveRefs(decodeURIComponent(m[2]), ids) as string);
  const data = resolveRefs(op.data, ids);
  const expected = versionOf(op.version);
  const location = (rid: string) => `${ctx.base}${ops.schema.endpoint}/${rid}`;
  if (method === 'POST' && id === undefined) {
    const r = await ops.create(ctx, data);
    if (op.bulkId !== undefined) ids.set(op.bulkId, r.doc.id as string);
    return { ...base, location: location(r.doc.id as string), version: etagOf(r.version), status: '201' };
  }
  if (id === undefined || method === 'POST')
    throw scimInvalid('invalidSyntax', `${method} ${op.path}: POST takes /Users or /Groups, the others an id`);
  if (method === 'PUT' || method === 'PATCH') {
    const r = method === 'PUT' ? await ops.replace(ctx, id, data, expected) : await ops.patch(ctx, id, data, expected);
    return { ...base, location: location(id), version: etagOf(r.version), status: '200' };
  }
  if (method === 'DELETE') {
    await ops.remove(ctx, id, expected);
    return { ...base, location: location(id), status: '204' };
  }
  throw scimInvalid('invalidSyntax', `method must be POST, PUT, PATCH or DELETE (not ${op.method})`);
}

/**
 * RFC 7644 §3.7: operations run one by one, each exactly like the single request; an operation that
 * refers to a bulkId created later in the request waits for it. `failOnErrors` stops after that many
 * errors. Not one transaction (the RFC does not ask for it): each operation is atomic on its own.
 */
export const bulkRoutes =
  (resources: ResourceOps[]): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/Bulk',
      {
        schema: {
          tags: ['scim: bulk'],
          operationId: 'scimRunBulk',
          summary: 'Run many operations with bulkId references (editor/admin per operation)',
          body: BulkBody,
          response: { 200: BulkResponse, 400: ScimErrorBody, 401: ScimErrorBody, 413: ScimErrorBody },
          ...docs({
            description:
              'Runs up to 1000 POST, PUT, PATCH and DELETE operations on /Users and /Groups in order (body at most 1 MiB). A resource created here is referred to as bulkId:<id> by later operations. Each operation succeeds or fails on its own, with the status it would have had alone, and needs the role it would need alone (editor writes, admin deletes); failOnErrors stops after that many failures. 413 past the limits.',
            body: {
              schemas: [URN.bulkRequest],
              failOnErrors: 1,
              Operations: [
                {
                  method: 'POST',
                  path: '/Users',
                  bulkId: 'ada',
                  data: {
                    schemas: [URN.user],
                    userName: 'ada@example.com',
                    name: { givenName: 'Ada', familyName: 'Lovelace' },
                  },
                },
                {
                  method: 'POST',
                  path: '/Groups',
                  bulkId: 'research',
                  data: { schemas: [URN.group], displayName: 'Research', members: [{ value: 'bulkId:ada' }] },
                },
              ],
            },
            responses: {
              200: {
                description: 'The outcome of each operation, in order',
                example: {
                  schemas: [URN.bulkResponse],
                  Operations: [
                    {
                      method: 'POST',
                      bulkId: 'ada',
                      version: 'W/"1"',
                      location: 'https://id.example.com/scim/v2/Users/12',
                      status: '201',
                    },
                    {
                      method: 'POST',
                      bulkId: 'research',
                      version: 'W/"1"',
                      location: 'https://id.example.com/scim/v2/Groups/3',
                      status: '201',
                    },
                  ],
                },
              },
            },
          }),
        },
      },
      async (req) => {
        const ctx = contextOf(req);
        const all = req.body.Operations as BulkOperation[];
        if (all.length > BULK_MAX_OPERATIONS) {
          throw new DomainError(
            'too_large',
            'scim.too_many_operations',
            `a bulk request holds at most ${BULK_MAX_OPERATIONS} operations`,
          );
        }
        // A bulkId names one operation: a repeated one would make later references ambiguous.
        const seen = new Set<string>();
        for (const op of all) {
          if (op.bulkId === undefined) continue;
          if (seen.has(op.bulkId))
            throw scimInvalid('invalidValue', `bulkId "${op.bulkId}" is used by more than one operation`);
          seen.add(op.bulkId);
        }
        const failOnErrors = req.body.failOnErrors && req.body.failOnErrors > 0 ? req.body.failOnErrors : Infinity;
        const ids = new Map<string, string>();
        const results: BulkResult[] = [];
        let pending = all.map((op, i) => ({ op, i }));
        let errors = 0;
        const record = async (op: BulkOperation) => {
          try {
            results.push(await run(ctx, resources, op, ids));
          } catch (e) {
            const p = toProblem(e);
            errors++;
            results.push({
              method: op.method.toUpperCase(),
              ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
              status: String(p.status),
              response: scimError(p),
            });
          }
        };
        while (pending.length && errors < failOnErrors) {
          const waiting = new Set(pending.map((x) => x.op.bulkId).filter((b): b is string => b !== undefined));
          const ready = pending.find((x) => [...refsOf(x.op)].every((r) => !waiting.has(r) || r === x.op.bulkId));
          if (!ready) {
            // Only circular references remain: each fails, nothing else can run.
            for (const x of pending) {
              if (errors >= failOnErrors) break;
              errors++;
              results.push({
                method: x.op.method.toUpperCase(),
                ...(x.op.bulkId !== undefined ? { bulkId: x.op.bulkId } : {}),
                status: '409',
                response: scimError({
                  status: 409,
                  code: 'scim.invalidValue',
                  message: 'circular bulkId references',
                  kind: 'conflict',
                }),
              });
            }
            break;
          }
          pending = pending.filter((x) => x !== ready);
          await record(ready.op);
        }
        return { schemas: [URN.bulkResponse], Operations: results };
      },
    );
  };
