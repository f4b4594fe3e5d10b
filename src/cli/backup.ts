import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Runtime } from '../runtime.ts';
import { DomainError, notFound } from '../domain/errors.ts';

/** `roster backup` and `roster restore`, registered on the main program by main.ts. */
type WithRuntime = (fn: (rt: Runtime) => Promise<void>) => Promise<void>;

/** A tenant by id or by license code (an all-digit code is looked for when no tenant has that id). */
async function tenantIdOf(rt: Runtime, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) {
    const t = await rt.services.tenants.byId(Number(ref));
    if (t) return t.id;
  }
  const t = await rt.services.tenants.byLicenseCode(ref);
  if (!t) throw notFound('tenant.not_found', `no tenant has the id or license code "${ref}"`);
  return t.id;
}

const usage = (message: string) => new DomainError('invalid', 'cli.usage', message);

/** A file that cannot be opened → one line naming it, not a stack trace. */
function fileError(e: unknown, file: string): unknown {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return usage(`${file}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return usage(`${file}: permission denied`);
  if (code === 'EISDIR') return usage(`${file}: is a directory`);
  return e;
}

export function registerBackup(program: Command, withRuntime: WithRuntime): void {
  program
    .command('backup')
    .description(
      'write a whole tenant (settings, managers, groups, users with password hashes, application keys, webhooks) as gzipped NDJSON to stdout or --file',
    )
    .requiredOption('--tenant <id|license code>', 'the tenant')
    .option('--file <path>', 'write to this file instead of stdout')
    .option('--with-audit', "include the tenant's audit trail", false)
    .action((o: { tenant: string; file?: string; withAudit: boolean }) =>
      withRuntime(async (rt) => {
        if (!o.file && process.stdout.isTTY)
          throw usage('a backup is gzip data: redirect stdout to a file (> acme.roster.ndjson.gz) or use --file');
        const tenantId = await tenantIdOf(rt, o.tenant);
        const { file } = await rt.services.backups.openUnchecked(tenantId, { withAudit: o.withAudit });
        if (o.file) {
          try {
            await pipeline(file, createWriteStream(o.file, { mode: 0o600 }));
          } catch (e) {
            throw fileError(e, o.file);
          }
          return;
        }
        try {
          await pipeline(file, process.stdout, { end: false });
        } catch (e) {
          // A reader that went away (| head): nothing more to say.
          if ((e as { code?: string }).code !== 'EPIPE') throw e;
        }
      }),
    );

  program
    .command('restore')
    .description(
      'restore a tenant from a backup (stdin or --file) into this database, all or nothing; prints the new tenant and counts',
    )
    .option('--file <path>', 'read this file instead of stdin')
    .option('--as <license code>', "restore under this license code instead of the backup's")
    .action((o: { file?: string; as?: string }) =>
      withRuntime(async (rt) => {
        if (!o.file && process.stdin.isTTY)
          throw usage('give the backup on stdin (< acme.roster.ndjson.gz) or with --file');
        let source: AsyncIterable<Buffer> = process.stdin;
        if (o.file) {
          const stream = createReadStream(o.file, { highWaterMark: 256 * 1024 });
          // Opening fails asynchronously: wait for it so a missing file is one line, not a stack trace.
          await new Promise<void>((resolve, reject) => {
            stream.once('open', () => resolve());
            stream.once('error', (e) => reject(fileError(e, o.file!)));
          });
          source = stream;
        }
        const r = await rt.services.restores.restoreUnchecked(source, { as: o.as });
        process.stdout.write(
          JSON.stringify(
            {
              tenant: { id: r.tenant.id, name: r.tenant.name, licenseCode: r.tenant.licenseCode },
              counts: r.counts,
              webhooksDisabled: r.webhooksDisabled,
              backup: r.backup,
            },
            null,
            2,
          ) + '\n',
        );
        if (r.webhooksDisabled > 0)
          console.error(
            `roster: ${r.webhooksDisabled} webhook subscription(s) restored switched off: their signing secret was sealed under another ROSTER_SECRET_KEY (or none); rotate each secret, then set it active`,
          );
      }),
    );
}
