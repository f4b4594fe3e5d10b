import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { IMPORT_FORMATS, IMPORT_MODES, type ImportFormat, type ImportJob, type ImportMode } from '../domain/import.ts';
import { oneOf, resolveTenant, TENANT_OPTION, tenantRef } from './options.ts';
import { importProgress } from './progress.ts';
import { ROOT, UsageError, withRuntime } from './run.ts';

/** `roster import` and `roster export`. */

/** How much of the start of the input the format is told from. */
const SNIFF_BYTES = 64 * 1024;

/**
 * NDJSON starts with `{` (after a BOM and blank space); anything else is taken for a CSV header.
 * Null when the start holds nothing to tell by (empty or blank so far).
 */
export function sniffFormat(head: Buffer): ImportFormat | null {
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const first = /\S/.exec(text);
  if (!first) return null;
  return first[0] === '{' ? 'ndjson' : 'csv';
}

/** A file's format from its first bytes. */
async function fileFormat(file: string): Promise<ImportFormat> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return sniffFormat(buf.subarray(0, bytesRead)) ?? 'ndjson';
  } finally {
    await fh.close();
  }
}

/** Stdin's format from its first chunks, and a stream that still yields every byte. */
async function stdinWithFormat(stdin: Readable): Promise<{ format: ImportFormat; stream: Readable }> {
  const it = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let size = 0;
  let format: ImportFormat | null = null;
  let done = false;
  while (format === null && size < SNIFF_BYTES) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    size += next.value.length;
    format = sniffFormat(Buffer.concat(head));
  }
  async function* all() {
    yield* head;
    if (done) return;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  return { format: format ?? 'ndjson', stream: Readable.from(all(), { objectMode: false }) };
}

function summary(job: ImportJob): string {
  const c = job.counts;
  const lines = [
    `import ${job.id} of ${job.format} ${job.state}${job.dryRun ? ' (dry run)' : ''}${job.atomic ? ' (atomic)' : ''}: ` +
      `${c.rows} rows, ${c.created} created, ${c.updated} updated, ${c.unchanged} unchanged, ${c.failed} failed`,
  ];
  if (job.message) lines.push(job.message);
  for (const e of job.errors) lines.push(`  ${e.message}`);
  if (c.failed > job.errors.length) lines.push(`  … and ${c.failed - job.errors.length} more failed rows`);
  return lines.join('\n') + '\n';
}

export function registerImportExport(program: Command): void {
  program
    .command('import')
    .description('import users from an NDJSON or CSV file (- for stdin); prints a summary, exits 1 when any row failed')
    .requiredOption(...TENANT_OPTION, tenantRef)
    .argument('<file>', 'the file, or - for stdin; NDJSON or CSV, told from its first line')
    .option('--format <format>', 'ndjson | csv: skip the guess', oneOf(IMPORT_FORMATS))
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
        o: { tenant: string; format?: ImportFormat; mode: ImportMode; dryRun: boolean; atomic: boolean },
      ) =>
        withRuntime(async (rt) => {
          const tenant = await resolveTenant(rt.services, o.tenant);
          let input: () => Readable;
          let format: ImportFormat;
          let total: number | null = null;
          if (file === '-') {
            if (process.stdin.isTTY) throw new UsageError('import -: stdin is a terminal; pipe a file into it');
            const s = o.format ? { format: o.format, stream: process.stdin } : await stdinWithFormat(process.stdin);
            format = s.format;
            input = () => s.stream;
          } else {
            const fh = await open(file, 'r'); // a missing or unreadable file is named before anything starts
            const st = await fh.stat();
            await fh.close();
            if (!st.isFile()) throw new UsageError(`${file}: not a file`);
            total = st.size;
            format = o.format ?? (await fileFormat(file));
            input = () => createReadStream(file, { highWaterMark: 256 * 1024 });
          }
          const bar = importProgress(process.stderr, total);
          let job: ImportJob;
          try {
            job = await rt.services.imports.runLocal(tenant.id, input, {
              format,
              mode: o.mode,
              dryRun: o.dryRun,
              atomic: o.atomic,
              actor: 'root',
              onProgress: (p) => bar?.update(p),
            });
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
    .requiredOption(...TENANT_OPTION, tenantRef)
    .option('--format <format>', 'ndjson | csv', oneOf(['ndjson', 'csv'] as const), 'ndjson')
    .option('--with-password-hashes', "add each user's stored password hash (passwordHash)", false)
    .action((o: { tenant: string; format: 'ndjson' | 'csv'; withPasswordHashes: boolean }) =>
      withRuntime(async (rt) => {
        const tenant = await resolveTenant(rt.services, o.tenant);
        const lines = await rt.services.exports.open(ROOT, tenant.id, {
          format: o.format,
          withPasswordHashes: o.withPasswordHashes,
        });
        await pipeline(Readable.from(lines), process.stdout, { end: false });
      }),
    );
}
