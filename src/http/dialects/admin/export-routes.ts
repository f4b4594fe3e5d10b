import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: import & export'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const ExportQuery = Type.Object(
  {
    format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')], { default: 'ndjson' }),
    withPasswordHashes: Type.Boolean({ default: false, description: "add each user's stored hash as passwordHash" }),
  },
  { additionalProperties: false },
);

/** The 200, for the document only: the route streams its answer, so no schema serialises it. */
const ExportFile = {
  description: "The tenant's users, one per line (NDJSON) or per row (CSV), as an attachment",
  content: {
    'application/x-ndjson': {
      schema: Type.String({
        example:
          '{"id":1,"username":"ada","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace","attributes":{"plan":"gold"}}\n',
      }),
    },
    'text/csv': {
      schema: Type.String({
        example: 'id,username,email,firstName,lastName,attr.plan\n1,ada,ada@example.com,Ada,Lovelace,gold\n',
      }),
    },
  },
};

const TYPES = { ndjson: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8' } as const;

/** Streams a tenant's users from the database page by page (constant memory; owner). */
export const exportRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tenants/:id/export',
      {
        config: {
          swaggerTransform: ({ schema, url }) => ({
            schema: { ...schema, response: { 200: ExportFile, ...(schema.response as object) } },
            url,
          }),
        },
        schema: {
          tags,
          operationId: 'exportUsers',
          summary: "Export a tenant's users as NDJSON (or CSV), streamed (owner)",
          params: IdParams,
          querystring: ExportQuery,
          response: errors,
          ...docs({
            description:
              "One core user per line (NDJSON) or row (CSV), by id, streamed from the database in constant memory, as an attachment (users-<tenant>.<format>). Importing the file into an empty tenant reproduces every user; withPasswordHashes=true adds each stored hash as passwordHash, so passwords survive the move. Owner only (the file holds every user's data).",
            responses: {},
          }),
        },
      },
      async (req, reply) => {
        const { format, withPasswordHashes } = req.query;
        const lines = await s.exports.open(principalOf(req), req.params.id, { format, withPasswordHashes });
        return reply
          .type(TYPES[format])
          .header('content-disposition', `attachment; filename="users-${req.params.id}.${format}"`)
          .send(Readable.from(lines) as never); // a stream: not serialized, sent as it comes
      },
    );
  };
