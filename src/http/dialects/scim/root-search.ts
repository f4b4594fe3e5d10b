import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isDomainError } from '../../../domain/errors.ts';
import { contextOf, type ScimContext } from './context.ts';
import { project } from './projection.ts';
import { listParams, type ListParams, type ResourceOps } from './resource.ts';
import { listResponse } from './resource-routes.ts';
import { ListResponse, ScimErrorBody, SearchBody, scimGroupExample, scimListExample, scimUserExample } from './wire.ts';
import { docs } from '../../openapi/route-docs.ts';
import { URN } from './constants.ts';

/** A filter naming an attribute the type does not have matches none of that type (RFC 7644 §3.4.3). */
async function total(ctx: ScimContext, ops: ResourceOps, p: ListParams): Promise<number | Error> {
  try {
    return (await ops.list(ctx, { ...p, count: 0, startIndex: 1 })).total;
  } catch (e) {
    if (isDomainError(e) && e.code === 'scim.invalidFilter') return e;
    throw e;
  }
}

/** POST /.search: Users then Groups as one list, paged across both. */
export const rootSearchRoutes =
  (resources: ResourceOps[]): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/.search',
      {
        schema: {
          tags: ['scim: search'],
          operationId: 'scimSearchResources',
          summary: 'Search every resource type at once',
          body: SearchBody,
          response: { 200: ListResponse, 400: ScimErrorBody, 401: ScimErrorBody, 403: ScimErrorBody },
          ...docs({
            description:
              'Searches Users and Groups at once with a SearchRequest body: the filter applies to each type (a filter on an attribute a type lacks matches none of it), and the results are Users then Groups, paged across both with startIndex and count. Viewer and up, with a manager key.',
            body: { schemas: [URN.searchRequest], filter: 'displayName sw "Re"', startIndex: 1, count: 50 },
            responses: {
              200: {
                description: 'A page of Users and Groups',
                example: scimListExample([scimUserExample, scimGroupExample]),
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const ctx = contextOf(req);
        const p = listParams(req.body);
        const totals = await Promise.all(resources.map((r) => total(ctx, r, p)));
        if (totals.every((t) => t instanceof Error)) throw totals[0];
        const docs: { ops: ResourceOps; doc: Record<string, unknown> }[] = [];
        let skip = p.startIndex - 1;
        let want = p.count;
        for (const [i, ops] of resources.entries()) {
          const n = totals[i];
          if (n instanceof Error || n === 0) continue;
          if (skip >= n) {
            skip -= n;
            continue;
          }
          if (want > 0) {
            const page = await ops.list(ctx, { ...p, startIndex: skip + 1, count: want });
            for (const doc of page.docs) docs.push({ ops, doc });
            want -= page.docs.length;
          }
          skip = 0;
        }
        const sum = totals.reduce<number>((a, t) => a + (t instanceof Error ? 0 : t), 0);
        const body = listResponse({ total: sum, docs: docs.map((d) => d.doc) }, p, (d) => d);
        body.Resources = docs.map((d) => project(d.ops.schema, d.doc, p.projection));
        return reply.status(200).send(body);
      },
    );
  };
