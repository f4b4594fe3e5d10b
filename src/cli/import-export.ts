import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import type { Runtime } from '../runtime.ts';
import { IMPORT_FORMATS, IMPORT_MODES, type ImportFormat, type ImportJob, type ImportMode } from '../domain/import.ts';

/** `roster import` and `roster export`, registered on the main program by main.ts. */
type WithRuntime = (fn: (rt: Runtime) => Promise<void>) => Promise<void>;

function positiveInt(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(v);
}
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return v as T;
  };

/** By extension unless --format says: .csv is CSV, anything else NDJSON. */
const formatOfFile = (file: string): ImportFormat => (/\.csv$/i.test(file) ? 'csv' : 'ndjson');

function summary(job: ImportJob): string {
  const c = job.counts;
  const lines = [
    `import ${job.id} ${job.state}${job.dryRun ? ' (dry run)' : ''}${job.atomic ? ' (atomic)' : ''}: ` +
      `${c.rows} rows, ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.failed} failed`,
  ];
  if (job.message) lines.push(job.message);
  for (const e of job.errors) lines.push(`  ${e.message}`);
  if (c.failed > job.errors.length) lines.push(`  … and ${c.failed - job.errors.length} more failed rows`);
  return lines.join('\n') + '\n';
}

export function registerImportExport(program: Command, withRuntime: WithRuntime): void {
  program
    .command('import')
    .description('import users from an NDJSON or CSV file (- for stdin); prints a summary, exits 1 when any row failed')
    .requiredOption('--tenant <id>', 'tenant id', positiveInt)
    .argument('<file>', 'the file: .csv is CSV, anything else NDJSON (or say --format)')
    .option('--format <format>', 'ndjson | csv', oneOf(IMPORT_FORMATS))
    .option(
      '--mode <mode>',
      'create (existing users are errors) | upsert (match on externalId, username, email)',
      oneOf(IMPORT_MODES),
      'create',
    )
    .option('--dry-run', 'validate everything, write nothing', false)
    .option('--atomic', 'write nothing when any row fails', false)
    .action(
      (
        file: string,
        o: { tenant: number; format?: ImportFormat; mode: ImportMode; dryRun: boolean; atomic: boolean },
      ) =>
        withRuntime(async (rt) => {
          const stdin = file === '-';
          const total = stdin ? 0 : statSync(file).size;
          const bar = process.stderr.isTTY
            ? new cliProgress.SingleBar(
                {
                  format:
                    'importing [{bar}] {percentage}% | {rows} rows, {created} created, {updated} updated, {failed} failed | {eta_formatted}',
                  hideCursor: true,
                  clearOnComplete: true,
                },
                cliProgress.Presets.shades_classic,
              )
            : null;
          bar?.start(total || 1, 0, { rows: 0, created: 0, updated: 0, failed: 0 });
          let job: ImportJob;
          try {
            job = await rt.services.imports.runLocal(
              o.tenant,
              () => (stdin ? process.stdin : createReadStream(file, { highWaterMark: 256 * 1024 })),
              {
                format: o.format ?? formatOfFile(file),
                mode: o.mode,
                dryRun: o.dryRun,
                atomic: o.atomic,
                actor: 'root',
                onProgress: (p) => bar?.update(total ? p.bytes : 0, { ...p.counts }),
              },
            );
          } finally {
            bar?.stop();
          }
          process.stdout.write(summary(job));
          if (job.state === 'failed' || job.counts.failed > 0) process.exitCode = 1;
        }),
    );

  program
    .command('export')
    .description("write a tenant's users to stdout, one per line (NDJSON) or as CSV")
    .requiredOption('--tenant <id>', 'tenant id', positiveInt)
    .option('--format <format>', 'ndjson | csv', oneOf(['ndjson', 'csv'] as const), 'ndjson')
    .option('--with-password-hashes', "add each user's stored password hash (passwordHash)", false)
    .action((o: { tenant: number; format: 'ndjson' | 'csv'; withPasswordHashes: boolean }) =>
      withRuntime(async (rt) => {
        const lines = await rt.services.exports.openUnchecked(o.tenant, {
          format: o.format,
          withPasswordHashes: o.withPasswordHashes,
        });
        await pipeline(Readable.from(lines), process.stdout, { end: false });
      }),
    );
}
