import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { DomainError } from '../../../domain/errors.ts';
import { IMPORT_MODES, IMPORT_STATES, type ImportFormat, type ImportJob } from '../../../domain/import.ts';
import { ErrorBody, IdParams } from './schemas.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: import & export'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 415: ErrorBody };

const Counts = named(
  'ImportCounts',
  Type.Object({
    rows: Type.Integer({ description: 'data rows read' }),
    created: Type.Integer(),
    updated: Type.Integer(),
    unchanged: Type.Integer(),
    failed: Type.Integer(),
  }),
);
const ImportJobWire = named(
  'ImportJob',
  Type.Object({
    id: Type.Integer(),
    tenantId: Type.Integer(),
    state: Type.Union(IMPORT_STATES.map((s) => Type.Literal(s))),
    format: Type.Union([Type.Literal('ndjson'), Type.Literal('csv')]),
    mode: Type.Union(IMPORT_MODES.map((m) => Type.Literal(m))),
    dryRun: Type.Boolean(),
    atomic: Type.Boolean(),
    actor: Type.String(),
    counts: Counts,
    errors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() }), {
      description: 'the first 100 failed rows, by line',
    }),
    message: Type.Union([Type.String(), Type.Null()], {
      description: 'why the whole import failed, or a note (dry run)',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  }),
);
const importJobExample = {
  id: 7,
  tenantId: 2,
  state: 'done' as const,
  format: 'csv' as const,
  mode: 'upsert' as const,
  dryRun: false,
  atomic: false,
  actor: 'manager:5',
  counts: { rows: 2500, created: 2410, updated: 85, unchanged: 3, failed: 2 },
  errors: [
    { line: 118, message: 'email is not an email address' },
    { line: 2033, message: 'username is taken' },
  ],
  message: null,
  createdAt: '2026-11-28T10:00:00.000Z',
  updatedAt: '2026-11-28T10:00:09.000Z',
  finishedAt: '2026-11-28T10:00:09.000Z',
};
const ImportQuery = Type.Object(
  {
    mode: Type.Union(
      IMPORT_MODES.map((m) => Type.Literal(m)),
      {
        default: 'create',
        description: 'create: an existing user is an error; upsert: match on externalId, then username, then email',
      },
    ),
    dryRun: Type.Boolean({ default: false, description: 'validate everything, write nothing' }),
    atomic: Type.Boolean({ default: false, description: 'nothing is written when any row fails' }),
  },
  { additionalProperties: false },
);
const JobParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  jobId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

const NDJSON_EXAMPLE =
  '{"username":"ada","email":"ada@example.com","firstName":"Ada","lastName":"Lovelace","attributes":{"plan":"gold"}}\n' +
  '{"username":"grace","email":"grace@example.com","firstName":"Grace","lastName":"Hopper","password":"correct horse battery"}\n';
const CSV_EXAMPLE =
  'username,email,firstName,lastName,attr.plan\nada,ada@example.com,Ada,Lovelace,gold\ngrace,grace@example.com,Grace,Hopper,\n';

/** The file, for the document only: the route reads the raw stream, so no body schema validates it. */
const ImportBody = {
  description: 'The users to import, one per line (NDJSON) or per row (CSV)',
  content: {
    'application/x-ndjson': {
      schema: Type.String({ description: 'one core user object per line', example: NDJSON_EXAMPLE }),
    },
    'text/csv': {
      schema: Type.String({
        description: 'a header of core field names and attr.<name> columns, then one user per row',
        example: CSV_EXAMPLE,
      }),
    },
  },
};

const FORMATS: Record<string, ImportFormat> = {
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'text/csv': 'csv',
};

function formatOf(contentType: string | undefined): ImportFormat {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const f = FORMATS[type];
  if (!f)
    throw new DomainError(
      'unsupported_media_type',
      'import.unsupported_media_type',
      'send the file as application/x-ndjson or text/csv',
    );
  return f;
}

const wire = (j: ImportJob) => ({
  ...j,
  createdAt: j.createdAt.toISOString(),
  updatedAt: j.updatedAt.toISOString(),
  finishedAt: j.finishedAt ? j.finishedAt.toISOString() : null,
});

/**
 * POST …/imports streams its body (no 1 MiB limit here: this scope's only parser hands the raw
 * request stream to the service) and answers 202 with a job; GET …/imports/{jobId} reads the
 * job from the database, so any Roster process can answer it.
 */
export const importRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    app.post(
      '/tenants/:id/imports',
      {
        config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: ImportBody }, url }) },
        schema: {
          tags,
          operationId: 'importUsers',
          summary: 'Import users from NDJSON or CSV (editor); answers 202 with a job to poll',
          params: IdParams,
          querystring: ImportQuery,
          response: { 202: ImportJobWire, ...errors },
          ...docs({
            description:
              'Body: the file, as application/x-ndjson (one core user per line) or text/csv (a header of core field names, attr.<name> columns). Rows may carry a plain password or a passwordHash (argon2id/argon2i, scrypt, pbkdf2-sha256/sha512 PHC strings, bcrypt, or {algorithm, salt, hash} for salted sha256/sha1/md5). The body is streamed, with no size limit; the answer comes at once, with the job to poll at Location. Editor and up. 415 for any other Content-Type.',
            responses: {
              202: {
                description: 'The job, queued (Location: where to poll it)',
                example: {
                  ...importJobExample,
                  state: 'queued',
                  counts: { rows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 },
                  errors: [],
                  updatedAt: '2026-11-28T10:00:00.000Z',
                  finishedAt: null,
                },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        const format = formatOf(req.headers['content-type']);
        const job = await s.imports.start(principalOf(req), req.params.id, req.body as Readable, {
          format,
          ...req.query,
        });
        return reply
          .status(202)
          .header('location', `/admin/v1/tenants/${job.tenantId}/imports/${job.id}`)
          .send(wire(job));
      },
    );

    app.get(
      '/tenants/:id/imports/:jobId',
      {
        schema: {
          tags,
          operationId: 'getImportJob',
          summary: 'An import job: state (queued, running, done, failed), counts and the first errors (viewer)',
          params: JobParams,
          response: { 200: ImportJobWire, ...errors },
          ...docs({
            description:
              'Reads an import job: its state (queued, running, done, failed), the rows read so far by outcome, and the first 100 failed rows by line. Any Roster process answers (the job lives in the database). Viewer and up; 404 for a job of another tenant.',
            responses: { 200: { description: 'The job as it stands', example: importJobExample } },
          }),
        },
      },
      async (req) => wire(await s.imports.get(principalOf(req), req.params.id, req.params.jobId)),
    );
  };
