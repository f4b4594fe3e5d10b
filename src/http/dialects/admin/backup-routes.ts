import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../../services/services.ts';
import { emptyCounts } from '../../../services/backup-records.ts';
import { LICENSE_CODE } from '../../../domain/tenant.ts';
import { DomainError } from '../../../domain/errors.ts';
import { ErrorBody, IdParams, Tenant } from './schemas.ts';
import { tenantWire } from './mapping.ts';
import { principalOf } from './context.ts';
import { named } from '../../openapi/components.ts';
import { docs } from '../../openapi/route-docs.ts';

const tags = ['management: backup & restore'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const BackupQuery = Type.Object(
  { withAudit: Type.Boolean({ default: false, description: "add the tenant's audit trail" }) },
  { additionalProperties: false },
);

const FILE_DESCRIPTION =
  'Gzipped NDJSON: a header line ({"type":"roster-backup","format":1,"rosterVersion","database","createdAt","tenant","withAudit"}), ' +
  'then one record per line (tenant, manager, group, user, member, appKey, audit, webhook, in that order) and an end record with the counts. ' +
  'Secrets only as stored: password hashes, key digests, webhook secrets sealed under ROSTER_SECRET_KEY.';

/** The 200, for the document only: the route streams its answer, so no schema serialises it. */
const BackupFile = {
  description: 'The whole tenant as of one moment, as an attachment',
  content: { 'application/gzip': { schema: Type.String({ format: 'binary', description: FILE_DESCRIPTION }) } },
};

/** The body, for the document only: the route reads the raw stream, so no body schema validates it. */
const RestoreBody = {
  description: 'A backup file as GET …/backup wrote it (gzipped, or the NDJSON itself)',
  required: true,
  content: {
    'application/gzip': { schema: Type.String({ format: 'binary', description: FILE_DESCRIPTION }) },
    'application/x-ndjson': {
      schema: Type.String({
        description: 'the backup, not compressed',
        example:
          '{"type":"roster-backup","format":1,"rosterVersion":"0.1.0","database":"sqlite","createdAt":"2026-12-01T03:00:00.000Z","tenant":{"id":2,"licenseCode":"acme"},"withAudit":false}\n' +
          '{"type":"tenant","id":2,"name":"Acme","licenseCode":"acme","settings":{"publicSignup":false,"passwordMinLength":10},"createdAt":"2026-11-02T09:30:00.000Z","updatedAt":"2026-11-20T16:05:12.000Z"}\n' +
          '{"type":"end","counts":{"manager":0,"group":0,"user":0,"member":0,"appKey":0,"audit":0,"webhook":0}}\n',
      }),
    },
  },
};

/** The media types a restore reads (gzip is recognised by its first bytes, whichever is said). */
const RESTORE_TYPES = new Set([
  'application/gzip',
  'application/x-gzip',
  'application/octet-stream',
  'application/x-ndjson',
  'application/ndjson',
]);

function checkRestoreType(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!RESTORE_TYPES.has(type))
    throw new DomainError(
      'unsupported_media_type',
      'restore.unsupported_media_type',
      'send the backup file as application/gzip (or its NDJSON as application/x-ndjson)',
    );
}

const RestoreQuery = Type.Object(
  {
    as: Type.Optional(
      Type.String({
        pattern: LICENSE_CODE.source,
        description: "restore under this license code instead of the backup's (the backup's is taken here)",
      }),
    ),
  },
  { additionalProperties: false },
);

const RestoreResult = named(
  'RestoreResult',
  Type.Object({
    tenant: Tenant,
    counts: Type.Object(Object.fromEntries(Object.keys(emptyCounts()).map((k) => [k, Type.Integer()])), {
      description: 'records restored, by type',
    }),
    webhooksDisabled: Type.Integer({
      description:
        'webhook subscriptions restored switched off: their secret was sealed under another ROSTER_SECRET_KEY; rotate it, then set active',
    }),
    backup: Type.Object({
      rosterVersion: Type.String(),
      database: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  }),
);

/**
 * GET …/tenants/{id}/backup streams a whole tenant from one snapshot (owner, or root);
 * POST …/tenants/restore reads a backup as a stream into a new tenant, all or nothing (root).
 */
export const backupRoutes =
  (s: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    // This scope's only parser hands the raw request stream to the service (no 1 MiB limit here).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    app.get(
      '/tenants/:id/backup',
      {
        config: {
          swaggerTransform: ({ schema, url }) => ({
            schema: { ...schema, response: { 200: BackupFile, ...(schema.response as object) } },
            url,
          }),
        },
        schema: {
          tags,
          operationId: 'backupTenant',
          summary: 'Back up a whole tenant as gzipped NDJSON, streamed from one snapshot (owner)',
          params: IdParams,
          querystring: BackupQuery,
          response: errors,
          ...docs({
            description:
              'Settings, managers (key digests, console password hashes), groups and members, users with password hashes, application keys (digests), webhook subscriptions and, with withAudit, the audit trail, streamed from one snapshot. Restore with POST /admin/v1/tenants/restore or `roster restore`. Owner of the tenant, or root.',
            responses: {},
          }),
        },
      },
      async (req, reply) => {
        const { tenant, file } = await s.backups.open(principalOf(req), req.params.id, req.query);
        return reply
          .type('application/gzip')
          .header('cache-control', 'no-store')
          .header('content-disposition', `attachment; filename="${tenant.licenseCode}.roster.ndjson.gz"`)
          .send(file as never); // a stream: not serialized, sent as it comes
      },
    );

    app.post(
      '/tenants/restore',
      {
        config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: RestoreBody }, url }) },
        schema: {
          tags,
          operationId: 'restoreTenant',
          summary: 'Restore a tenant from a backup, all or nothing (root)',
          querystring: RestoreQuery,
          response: { 201: RestoreResult, ...errors, 409: ErrorBody, 415: ErrorBody },
          ...docs({
            description:
              'Creates the tenant with every record of the file; on any bad line (damaged, truncated, out of order) nothing is written and the error names the line. A license code that exists here is refused (409) unless `as` gives another. Root key only; 415 for a body that is not gzip or NDJSON.',
            responses: {
              201: {
                description: 'The restored tenant (Location: its URL) and what was restored',
                example: {
                  tenant: {
                    id: 9,
                    name: 'Acme',
                    licenseCode: 'acme',
                    settings: { publicSignup: false, passwordMinLength: 10 },
                    createdAt: '2026-11-02T09:30:00.000Z',
                    updatedAt: '2026-11-20T16:05:12.000Z',
                  },
                  counts: { manager: 3, group: 2, user: 1284, member: 40, appKey: 5, audit: 0, webhook: 1 },
                  webhooksDisabled: 0,
                  backup: { rosterVersion: '0.1.0', database: 'sqlite', createdAt: '2026-12-01T03:00:00.000Z' },
                },
              },
            },
          }),
        },
      },
      async (req, reply) => {
        checkRestoreType(req.headers['content-type']);
        const r = await s.restores.restore(principalOf(req), req.body as Readable, { as: req.query.as });
        return reply
          .status(201)
          .header('location', `/admin/v1/tenants/${r.tenant.id}`)
          .send({ ...r, tenant: tenantWire(r.tenant) });
      },
    );
  };
