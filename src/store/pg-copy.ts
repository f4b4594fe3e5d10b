import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * PostgreSQL's COPY … FROM STDIN for the store's bulk writes (imports): the server parses plain
 * text rows, where an INSERT over array parameters parses an array literal per column and unnests
 * it. Kysely has no COPY, so the rows travel as the one parameter of a query through Kysely's
 * connection (the transaction's) to the pg client, which runs the COPY (see runCopy).
 */
export class CopyRows {
  constructor(readonly lines: Iterable<string>) {}
}

/** True when a query's parameters are a COPY's rows. */
export function isCopy(values: unknown): values is [CopyRows] {
  return Array.isArray(values) && values.length === 1 && values[0] instanceof CopyRows;
}

/** Runs `text` (a COPY … FROM STDIN) on `client`, streaming the rows; answers a result as pg's query does. */
export async function runCopy(client: pg.ClientBase, text: string, rows: CopyRows): Promise<pg.QueryResult> {
  const stream = client.query(copyFrom(text));
  await pipeline(Readable.from(rows.lines, { objectMode: false }), stream);
  return { command: 'COPY', rowCount: stream.rowCount, rows: [], fields: [], oid: 0 };
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const SPECIAL = /[\\\t\n\r]/g;

/** One value in COPY's text format: NULL as \N, objects as JSON, the delimiter and escapes escaped. */
function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s =
    typeof v === 'string'
      ? v
      : typeof v === 'object'
        ? JSON.stringify(v)
        : typeof v === 'boolean'
          ? v
            ? 't'
            : 'f'
          : String(v);
  SPECIAL.lastIndex = 0;
  return SPECIAL.test(s) ? s.replace(SPECIAL, (c) => ESCAPES[c]) : s;
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Lines of 256 KiB or so: few chunks through the stream, none of them large. */
function* lines(columns: string[], rows: Record<string, unknown>[]): Generator<string> {
  let chunk = '';
  for (const r of rows) {
    let line = '';
    for (let i = 0; i < columns.length; i++) line += (i === 0 ? '' : '\t') + field(r[columns[i]]);
    chunk += line + '\n';
    if (chunk.length >= 256 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Writes `rows` (objects with the same camelCase keys as `columns`) into `table` with one COPY, on `db`'s connection. */
export async function copyInto(
  db: Kysely<any>,
  table: string,
  columns: string[],
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  const text = `copy ${snake(table)} (${columns.map(snake).join(', ')}) from stdin`;
  await db.executeQuery(CompiledQuery.raw(text, [new CopyRows(lines(columns, rows))]));
}
