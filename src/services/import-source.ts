import { Readable } from 'node:stream';
import { parse as csvParse, CsvError, type Info } from 'csv-parse';
import { invalid } from '../domain/errors.ts';
import { MAX_LINE_BYTES, type ImportFormat } from '../domain/import.ts';
import { headerProblem } from './import-row.ts';

/**
 * Files → records, streaming: nothing holds more than one line (at most MAX_LINE_BYTES) at a time.
 * A file that is not text (a NUL byte, invalid UTF-8) or a CSV with a bad header stops the whole
 * import (`import.bad_file`); a bad line is only that row's error.
 */
export interface RawRecord {
  line: number;
  value?: Record<string, unknown> | string[];
  /** Why this row could not be read (the import goes on with the next one). */
  error?: string;
}

export const badFile = (message: string) => invalid('import.bad_file', message);

const LIMIT_TEXT = `${MAX_LINE_BYTES / (1024 * 1024)} MiB`;

/** Counts bytes and refuses binary data: a NUL byte or bytes that are not UTF-8. */
export async function* textGuard(
  source: AsyncIterable<Buffer | string>,
  onBytes?: (n: number) => void,
): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  for await (const c of source) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : c;
    const nul = chunk.indexOf(0);
    if (nul >= 0)
      throw badFile(`the file is not text: it has a NUL byte at byte ${offset + nul} (send NDJSON or CSV in UTF-8)`);
    try {
      decoder.decode(chunk, { stream: true });
    } catch {
      throw badFile(`the file is not UTF-8 text (invalid bytes near byte ${offset}); send NDJSON or CSV in UTF-8`);
    }
    offset += chunk.length;
    onBytes?.(chunk.length);
    yield chunk;
  }
  try {
    decoder.decode();
  } catch {
    throw badFile('the file ends in the middle of a UTF-8 character');
  }
}

/** One JSON object per line; blank lines are skipped (but counted as lines). */
export async function* ndjsonRecords(source: AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 0;
  const finish = (buf: Buffer): RawRecord | null => {
    line++;
    if (tooLong) {
      tooLong = false;
      return { line, error: `the line is longer than ${LIMIT_TEXT}` };
    }
    let text = buf.toString('utf8');
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return null;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      return { line, error: `is not valid JSON (${(e as Error).message})` };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return { line, error: 'must be a JSON object (one user per line)' };
    return { line, value: v as Record<string, unknown> };
  };
  for await (const chunk of source) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!tooLong) {
        if (size + (end - start) > MAX_LINE_BYTES) {
          tooLong = true;
          parts = [];
          size = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (nl < 0) break;
      const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
      parts = [];
      size = 0;
      const r = finish(buf);
      if (r) yield r;
      start = nl + 1;
    }
    // A kept subarray pins its chunk; copy when the pending part is small so big chunks can go.
    if (parts.length > 0 && size < chunk.length / 4) {
      const copy = Buffer.concat(parts, size);
      parts = [copy];
    }
  }
  if (size > 0 || tooLong) {
    const r = finish(parts.length === 1 ? parts[0] : Buffer.concat(parts, size));
    if (r) yield r;
  }
}

/** CSV with a header row: yields the header as line 1 (checked), then each record by its line. */
export async function* csvRecords(source: AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  const parser = csvParse({
    bom: true,
    info: true,
    max_record_size: MAX_LINE_BYTES,
    relax_column_count: true,
    skip_empty_lines: true,
  });
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let header: string[] | null = null;
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      if (!header) {
        header = r.record.map((c) => c.trim());
        const problem = headerProblem(header);
        if (problem) throw badFile(problem);
        yield { line: r.info.lines, value: header };
        continue;
      }
      yield { line: r.info.lines, value: r.record };
    }
  } catch (e) {
    const err = e as { code?: string; message?: string; lines?: number };
    if (err.code === 'CSV_MAX_RECORD_SIZE')
      throw badFile(`line ${err.lines ?? '?'}: a CSV record is longer than ${LIMIT_TEXT}`);
    // Not every csv-parse code has the CSV_ prefix (INVALID_OPENING_QUOTE): any CsvError is a bad file, never a 500.
    if (e instanceof CsvError || (typeof err.code === 'string' && err.code.startsWith('CSV_')))
      throw badFile(`the CSV does not parse: ${err.message}`);
    throw e;
  } finally {
    input.destroy();
  }
  if (!header) throw badFile('the file is empty: a CSV needs a header row of core field names');
}

export function records(format: ImportFormat, source: AsyncIterable<Buffer>): AsyncGenerator<RawRecord> {
  return format === 'csv' ? csvRecords(source) : ndjsonRecords(source);
}
