import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { invalid } from '../domain/errors.ts';
import { hasUnstorableText } from '../domain/text.ts';
import { ndjsonRecords } from './import-source.ts';
import { BACKUP_FORMAT, HEADER_TYPE, isRecordType, recordProblem, type RecordType } from './backup-records.ts';

/** A backup's line, checked against its type's schema. */
export interface BackupLine {
  line: number;
  type: RecordType | typeof HEADER_TYPE;
  value: Record<string, unknown>;
}

export const badBackup = (line: number, problem: string) => invalid('restore.bad_file', `line ${line}: ${problem}`);

/** The bytes as they come, or gunzipped when they start with gzip's magic number. */
async function* decompressed(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield Buffer.from(n.value);
  }
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const done = pipeline(Readable.from(all()), gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
    await done;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('Z_'))
      throw invalid(
        'restore.bad_file',
        `the file is not a whole gzip stream (${(e as Error).message}): it is damaged or truncated`,
      );
    throw e;
  } finally {
    done.catch(() => {});
  }
}

/**
 * A backup file (gzipped or not) → its lines, each checked: valid JSON, a known type, its
 * schema, storable text. The first must be the header of a format this Roster reads.
 */
export async function* backupLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<BackupLine> {
  let first = true;
  for await (const r of ndjsonRecords(decompressed(source))) {
    if (r.error !== undefined) throw badBackup(r.line, r.error);
    const value = r.value as Record<string, unknown>;
    const type = value.type;
    if (first) {
      first = false;
      if (type !== HEADER_TYPE)
        throw badBackup(r.line, 'this is not a Roster backup (its first line must be the roster-backup header)');
      if (typeof value.format === 'number' && value.format > BACKUP_FORMAT)
        throw badBackup(
          r.line,
          `backup format ${value.format} is newer than this Roster reads (${BACKUP_FORMAT}): upgrade Roster first`,
        );
      const problem = recordProblem(HEADER_TYPE, value);
      if (problem) throw badBackup(r.line, `header: ${problem}`);
      yield { line: r.line, type: HEADER_TYPE, value };
      continue;
    }
    if (!isRecordType(type)) throw badBackup(r.line, `unknown record type ${JSON.stringify(type)}`);
    const problem = recordProblem(type, value);
    if (problem) throw badBackup(r.line, `${type} record: ${problem}`);
    if (hasUnstorableText(value))
      throw badBackup(r.line, `${type} record: text holds a NUL or an unpaired UTF-16 surrogate`);
    yield { line: r.line, type, value };
  }
  if (first) throw invalid('restore.bad_file', 'the file is empty: this is not a Roster backup');
}
